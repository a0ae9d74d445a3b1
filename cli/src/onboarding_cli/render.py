"""How things look: summary panels, the errors table, the funnel, enrolments, invitations,
settings, dead letters."""

import json
from collections.abc import Sequence
from datetime import UTC, datetime

from rich import box
from rich.console import Group, RenderableType
from rich.json import JSON
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from onboarding_cli.api_models import (
    ActivatedOut,
    CredentialsOut,
    EnrolmentOut,
    FunnelOut,
    ImportOut,
    InvitationOut,
    RemindedOut,
    RowErrorOut,
    SettingsBody,
)
from onboarding_cli.ops_models import DeadLetterDetail, DeadLetterOut

MAX_ERRORS_SHOWN = 50

FUNNEL_STAGES = (
    "enrolled",
    "invited",
    "emailed",
    "registered",
    "pending_activation",
    "active",
    "failed",
    "expired",
    "cancelled",
)

STATUS_STYLES = {
    "completed": "green",
    "completed_with_errors": "yellow",
    "failed": "red",
    "processing": "cyan",
    "enrolled": "cyan",
    "invited": "blue",
    "active": "green",
    "pending_activation": "yellow",
    "expired": "red",
    "cancelled": "dim",
    "pending": "blue",  # an invitation's
    "accepted": "green",
    "revoked": "dim",
}


def status_text(status: str) -> Text:
    return Text(status.replace("_", " "), style=STATUS_STYLES.get(status, ""))


def import_summary(summary: ImportOut, *, title: str = "import") -> Panel:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    grid.add_row("id", summary.id)
    grid.add_row("course", summary.course)
    if summary.cohort:
        grid.add_row("cohort", summary.cohort)
    grid.add_row("invites", "by hand (manual)" if summary.manual else summary.invite_policy)
    grid.add_row("status", status_text(summary.status))
    grid.add_row("rows", f"{summary.total_rows:,}")
    grid.add_row("enrolled", Text(f"{summary.enrolled:,}", style="green"))
    failed = summary.failed
    grid.add_row("failed", Text(f"{failed:,}", style="red" if failed else ""))
    style = STATUS_STYLES.get(summary.status, "")
    return Panel(grid, title=title, title_align="left", border_style=style, expand=False)


def errors_table(
    errors: Sequence[RowErrorOut], *, failed: int, errors_csv_url: str
) -> RenderableType:
    """The bad rows by line, at most `MAX_ERRORS_SHOWN`, and where the rest are."""
    total = max(failed, len(errors))
    table = Table(
        title=f"{total:,} row{'s' if total != 1 else ''} not imported",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        header_style="bold",
    )
    table.add_column("line", justify="right", style="cyan", no_wrap=True)
    table.add_column("column", style="magenta", no_wrap=True)
    table.add_column("reason", ratio=3, min_width=20)
    table.add_column("raw", style="dim", ratio=2, overflow="ellipsis", no_wrap=True)
    for error in errors[:MAX_ERRORS_SHOWN]:
        table.add_row(str(error.line), error.field or "—", error.reason, error.raw)
    more = total - min(len(errors), MAX_ERRORS_SHOWN)
    if more <= 0:
        return table
    note = Text.assemble(
        (f"… and {more:,} more. ", "yellow"),
        "All of them as CSV: GET ",
        (errors_csv_url, "underline"),
    )
    return Group(table, note)


def funnel_table(funnel: FunnelOut, *, title: str = "funnel") -> Table:
    """Each stage's count and its share of the enrolled."""
    enrolled = funnel.enrolled
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, header_style="bold")
    table.add_column("stage")
    table.add_column("people", justify="right")
    table.add_column("of enrolled", justify="right")
    table.add_column("", no_wrap=True)
    counts = funnel.model_dump()
    for stage in FUNNEL_STAGES:
        count = counts[stage]
        share = count / enrolled if enrolled else 0.0
        style = "red" if stage in ("failed", "expired") and count else ""
        table.add_row(
            Text(stage, style=style),
            f"{count:,}",
            f"{share:.1%}" if enrolled else "—",
            Text("█" * round(share * 20), style=style or "green"),
        )
    return table


ENROLMENT_COLUMNS = ("email", "name", "external_id", "role", "course", "cohort", "status")
SHARED_IN_CAPTION = ("course", "cohort", "role", "status")


def enrolments_table(items: Sequence[EnrolmentOut]) -> Table:
    """One row per enrolment; a column where every row has the same value (say, the course
    filtered on) moves to the caption, to leave room for the rest."""
    rows = [item.model_dump() for item in items]
    shared = {
        column: values.pop()
        for column in SHARED_IN_CAPTION
        if len(rows) > 1 and len(values := {str(row[column] or "") for row in rows}) == 1
    }
    columns = [c for c in ENROLMENT_COLUMNS if c not in shared]
    caption = "  ".join(f"{c} [bold]{v}[/]" for c, v in shared.items() if v)
    table = Table(
        box=box.SIMPLE_HEAD, header_style="bold", caption=caption or None, caption_justify="left"
    )
    for column in columns:
        table.add_column(
            "ext id" if column == "external_id" else column,
            no_wrap=column in ("email", "status"),
            overflow="ellipsis",
        )
    table.add_column("created", no_wrap=True)
    for row in rows:
        cells: list[str | Text] = [
            status_text(str(row[c] or "")) if c == "status" else str(row[c] or "") for c in columns
        ]
        cells.append(f"{row['created_at']:%Y-%m-%d %H:%M}")
        table.add_row(*cells)
    return table


def settings_grid(settings: SettingsBody) -> Table:
    grid = Table.grid(padding=(0, 2))
    how = "invited at enrolment" if settings.invite_policy == "auto" else "invited by hand"
    grid.add_row("[bold]invite policy[/]", settings.invite_policy, f"[dim]{how}[/]")
    grid.add_row(
        "[bold]link lifetime[/]", f"{settings.invitation_ttl_hours:g} h", "[dim]each link[/]"
    )
    grid.add_row("[bold]max resends[/]", str(settings.max_resends), "[dim]per invitation[/]")
    grid.add_row(
        "[bold]self-service[/]",
        "on" if settings.self_service_resend else "off",
        "[dim]people may ask for a new link[/]",
    )
    after = settings.reminder_after_hours
    grid.add_row(
        "[bold]reminders[/]",
        "off" if after is None else f"every {after:g} h",
        f"[dim]at most {settings.max_reminders} per person[/]",
    )
    by_admin = settings.activation == "admin"
    grid.add_row(
        "[bold]activation[/]",
        settings.activation,
        "[dim]an admin activates each account (onboard activate)[/]"
        if by_admin
        else "[dim]active once registered[/]",
    )
    from_email = settings.username_source == "email"
    grid.add_row(
        "[bold]usernames[/]",
        settings.username_source,
        "[dim]the person's email[/]" if from_email else "[dim]each person picks theirs[/]",
    )
    return grid


def activated_line(activated: ActivatedOut) -> str:
    plural = "s" if activated.requested != 1 else ""
    return f"{activated.requested:,} activation{plural} asked for (people waiting for approval)"


def credentials_line(sent: CredentialsOut) -> str:
    """How many were sent credentials, then (when there are any) those active at once and
    those SMS cannot reach."""

    def people(count: int) -> str:
        return f"{count:,} {'person' if count == 1 else 'people'}"

    parts = [
        f"{people(sent.requested)} sent credentials "
        "(their sign-in name and a link to set a password)"
    ]
    if sent.activated:
        parts.append(f"{sent.activated:,} active at once (an account already)")
    if sent.unreachable:
        parts.append(f"{sent.unreachable:,} unreachable by SMS (no phone number)")
    return "; ".join(parts)


INVITATION_COLUMNS = ("email", "name", "course", "cohort", "status")


def invitations_table(items: Sequence[InvitationOut]) -> Table:
    """One row per invitation: who, where, its status, links sent and when the last one
    expires; as for enrolments, a column the same in every row moves to the caption."""
    rows = [item.model_dump() for item in items]
    shared = {
        column: values.pop()
        for column in ("course", "cohort", "status")
        if len(rows) > 1 and len(values := {str(row[column] or "") for row in rows}) == 1
    }
    columns = [c for c in INVITATION_COLUMNS if c not in shared]
    caption = "  ".join(f"{c} [bold]{v}[/]" for c, v in shared.items() if v)
    table = Table(
        box=box.SIMPLE_HEAD, header_style="bold", caption=caption or None, caption_justify="left"
    )
    for column in columns:
        table.add_column(column, no_wrap=column in ("email", "status"), overflow="ellipsis")
    for heading in ("sent", "resends", "reminders"):
        table.add_column(heading, justify="right")
    table.add_column("last sent", no_wrap=True)
    table.add_column("expires", no_wrap=True)
    for row, item in zip(rows, items, strict=True):
        cells: list[str | Text] = [
            status_text(str(row[c])) if c == "status" else str(row[c] or "") for c in columns
        ]
        cells += [str(item.send_count), str(item.resend_count), str(item.reminder_count)]
        cells += [moment(item.last_sent_at, seconds=False), moment(item.expires_at, seconds=False)]
        table.add_row(*cells)
    return table


def invitation_grid(invitation: InvitationOut, *, title: str) -> Panel:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    grid.add_row("to", f"{invitation.name} <{invitation.email}>")
    grid.add_row("course", invitation.course)
    grid.add_row("status", status_text(invitation.status))
    grid.add_row(
        "links sent",
        f"{invitation.send_count} ({invitation.resend_count} resent, "
        f"{invitation.reminder_count} reminders)",
    )
    grid.add_row("sent at", moment(invitation.last_sent_at))
    grid.add_row("expires", moment(invitation.expires_at))
    return Panel(grid, title=title, title_align="left", expand=False)


def reminded_line(reminded: RemindedOut) -> str:
    skipped = (
        f"; {reminded.skipped:,} passed by (registered, cancelled, not invited, or reminded "
        "less than an hour ago)"
        if reminded.skipped
        else ""
    )
    plural = "s" if reminded.requested != 1 else ""
    return f"{reminded.requested:,} reminder{plural} asked for{skipped}"


# --- dead letters ------------------------------------------------------------------------

MAX_ERROR_SHOWN = 160  # characters of an error in the table; `onboard dlq show` has it all


def moment(at: datetime | None, *, seconds: bool = True) -> str:
    """A time in UTC, `2025-01-02 03:04:05Z` (or to the minute); `—` for none."""
    if at is None:
        return "—"
    utc = at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)
    return f"{utc:%Y-%m-%d %H:%M:%S}Z" if seconds else f"{utc:%Y-%m-%d %H:%M}Z"


def _shortened(text: str, most: int) -> str:
    line = " ".join(text.split())
    return line if len(line) <= most else line[: most - 1] + "…"


def dead_letters_table(letters: Sequence[tuple[str, DeadLetterOut]]) -> Table:
    """One row per dead letter, with the service that parked it. The id is never wrapped,
    so that it can be copied whole; the times are to the minute (`show`: to the second); the
    error, the longest, comes last, cut short (`show` has it all)."""
    table = Table(box=box.SIMPLE_HEAD, header_style="bold")
    table.add_column("service", no_wrap=True)
    table.add_column("id", style="cyan", no_wrap=True)
    table.add_column("parked at", width=10)  # the day, and the time below it
    table.add_column("event type", overflow="fold")
    table.add_column("event id", overflow="fold", max_width=18)  # a UUID: on two lines
    table.add_column("attempts", justify="right")
    table.add_column("replayed at", width=11)
    table.add_column("error", overflow="fold", min_width=20)  # last: the long one
    for service, letter in letters:
        error = f"{letter.error_type}: {letter.error}" if letter.error_type else letter.error
        table.add_row(
            Text(service),
            Text(letter.id),
            moment(letter.parked_at, seconds=False),
            Text(letter.event_type or "—"),
            Text(letter.event_id or "—"),
            str(letter.attempts),
            Text(
                moment(letter.replayed_at, seconds=False),
                style="green" if letter.replayed_at else "dim",
            ),
            Text(_shortened(error, MAX_ERROR_SHOWN) or "—", style="red"),
        )
    return table


def dead_letter_detail(service: str, letter: DeadLetterDetail) -> Group:
    """Where the letter is and why it was parked, then the event, as JSON when it is JSON."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    grid.add_row("id", Text(letter.id, style="cyan"))
    grid.add_row("service", Text(service))
    grid.add_row("parked at", moment(letter.parked_at))
    grid.add_row("parked on", Text(f"{letter.topic} partition {letter.partition}"))
    grid.add_row("from topic", Text(letter.original_topic or "—"))
    grid.add_row("event type", Text(letter.event_type or "—"))
    grid.add_row("event id", Text(letter.event_id or "—"))
    grid.add_row("attempts", str(letter.attempts))
    grid.add_row("error type", Text(letter.error_type or "—"))
    grid.add_row("error", Text(letter.error or "—", style="red"))
    if letter.replayed_at is None:
        grid.add_row("replayed", Text("not yet", style="yellow"))
    else:
        grid.add_row("replayed at", Text(moment(letter.replayed_at), style="green"))
    try:
        event: RenderableType = JSON.from_data(json.loads(letter.event), indent=2)
        heading = "event"
    except (ValueError, RecursionError):  # not JSON: as it is
        event, heading = Text(letter.event), "event (not JSON, as received)"
    return Group(grid, Text(""), Text(heading, style="bold"), event)
