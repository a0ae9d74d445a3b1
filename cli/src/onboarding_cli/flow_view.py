"""How `onboard flow` looks: the services' table, the messages the notification service
sends, the dead letters waiting (in red when there are any) and the tenant's funnel."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from onboarding_cli.api_models import FunnelOut
from onboarding_cli.flow_figures import MESSAGE_OUTCOMES, ServiceFlow
from onboarding_cli.render import funnel_table, moment

NONE = "—"  # not known: one scrape only, or not exported yet


@dataclass(frozen=True)
class FlowView:
    """Everything one refresh shows."""

    at: datetime
    services: Sequence[ServiceFlow]
    funnel: FunnelOut | str  # the funnel, or why it could not be read
    funnel_scope: str


def _number(value: float | None) -> str:
    return NONE if value is None else f"{value:,.0f}"


def _per_s(value: float | None) -> str:
    return NONE if value is None else f"{value:,.1f}"


def _age(seconds: float | None) -> str:
    if seconds is None:
        return NONE
    return f"{seconds:,.0f} s" if seconds < 120 else f"{seconds / 60:,.0f} min"


def services_table(services: Sequence[ServiceFlow]) -> Table:
    """A row per service; one that could not be read says `down`, and why below the table."""
    down = [f"{flow.service}: {flow.down}" for flow in services if flow.down is not None]
    table = Table(
        title="services",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        header_style="bold",
        caption="\n".join(down) or None,
        caption_justify="left",
        caption_style="red",
    )
    table.add_column("service", no_wrap=True)
    table.add_column("events/s", justify="right")
    table.add_column("dead-lettered", justify="right")
    table.add_column("lag", justify="right")
    table.add_column("outbox", justify="right")
    table.add_column("oldest", justify="right")
    table.add_column("published/s", justify="right")
    table.add_column("dead letters waiting", justify="right")
    for flow in services:
        if flow.down is not None:
            table.add_row(Text(flow.service), Text("down", style="bold red"))
            continue
        table.add_row(
            Text(flow.service),
            _per_s(flow.events_per_s),
            Text(_number(flow.dead_lettered), style="red" if flow.dead_lettered else ""),
            _number(flow.lag),
            _number(flow.outbox_depth),
            _age(flow.outbox_oldest_age_s),
            _per_s(flow.published_per_s),
            Text(_number(flow.waiting), style="bold red" if flow.waiting else "green"),
        )
    return table


def messages_table(notification: ServiceFlow) -> RenderableType:
    """Messages a second by channel: sent, retried, failed."""
    if notification.down is not None:
        return Text("messages: the notification service is down", style="red")
    if not notification.messages_per_s:
        return Text("messages: none sent yet", style="dim")
    table = Table(title="messages", title_justify="left", box=box.SIMPLE_HEAD, header_style="bold")
    table.add_column("channel")
    for outcome in MESSAGE_OUTCOMES:
        table.add_column(f"{outcome}/s", justify="right")
    for channel, rates in notification.messages_per_s.items():
        failing = bool(rates.get("failed"))
        cells = [_per_s(rates.get(outcome)) for outcome in MESSAGE_OUTCOMES]
        table.add_row(channel, *cells[:-1], Text(cells[-1], style="red" if failing else ""))
    return table


def dead_letters_line(services: Sequence[ServiceFlow]) -> Text:
    """The dead letters waiting, by service and topic; red and bold when there are any."""
    parked = [
        (flow.service, topic, count)
        for flow in services
        for topic, count in flow.dead_letters_waiting.items()
        if count > 0
    ]
    if not parked:
        down = [flow.service for flow in services if flow.down is not None]
        if len(down) == len(services):
            return Text("dead letters waiting: not known (no service answered)", style="yellow")
        if down:  # none where it could be seen: say where it could not
            return Text(f"dead letters waiting: none, but {', '.join(down)} not asked", "yellow")
        return Text("dead letters waiting: none", style="green")
    total = sum(count for _, _, count in parked)
    line = Text(f"dead letters waiting: {total:,.0f}", style="bold red")
    where = ", ".join(f"{service} {topic} {count:,.0f}" for service, topic, count in parked)
    line.append(f" ({where})", style="red")
    line.append(" — onboard dlq list", style="dim")
    return line


def flow_view(view: FlowView) -> Group:
    by_name = {flow.service: flow for flow in view.services}
    parts: list[RenderableType] = [
        Text(f"onboarding flow at {moment(view.at)}", style="bold"),
        services_table(view.services),
    ]
    if "notification" in by_name:
        parts.append(messages_table(by_name["notification"]))
    parts.append(dead_letters_line(view.services))
    if isinstance(view.funnel, FunnelOut):
        parts.append(funnel_table(view.funnel, title=f"funnel — {view.funnel_scope}"))
    else:
        parts.append(Text(f"funnel: {view.funnel}", style="red"))
    return Group(*parts)
