"""`import --follow`: poll the import's funnel and draw one progress bar per stage."""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)

from onboarding_cli.api_models import FunnelOut, FunnelQuery
from onboarding_cli.client import EnrolmentClient
from onboarding_cli.errors import ApiDrift, ApiError, CliError

STAGES = ("enrolled", "invited", "emailed", "registered")
STABLE_POLLS = 3  # the funnel must hold still this many polls before we call it settled
TRANSIENT_FAILURES = 10  # polls in a row that may fail (a restart, a blip) before giving up

Outcome = Literal["settled", "interrupted", "timed_out"]


@dataclass
class Settling:
    """Decides when an import has settled: the import is done, every stage that can move on
    its own has caught up, and the numbers stopped moving.

    With automatic invitations, everyone enrolled is invited (or failed) and everyone invited
    emailed (or failed). With manual ones nobody is invited by the import, so the invited and
    emailed stages may stay at zero: only the emails of whoever was invited by hand meanwhile
    have to catch up. Registering is up to people, never waited for."""

    manual: bool = False
    stable_polls: int = STABLE_POLLS
    _last: FunnelOut | None = field(default=None, init=False)
    _unchanged: int = field(default=0, init=False)

    def observe(self, funnel: FunnelOut, *, import_done: bool = True) -> bool:
        self._unchanged = self._unchanged + 1 if funnel == self._last else 0
        self._last = funnel
        return import_done and self.caught_up(funnel) and self._unchanged >= self.stable_polls - 1

    def caught_up(self, funnel: FunnelOut) -> bool:
        emails_sent = funnel.emailed + funnel.failed >= funnel.invited
        if self.manual:
            return emails_sent
        return emails_sent and funnel.invited + funnel.failed >= funnel.enrolled


@dataclass
class FollowResult:
    funnel: FunnelOut | None
    outcome: Outcome


def _progress(console: Console) -> Progress:
    return Progress(
        SpinnerColumn(finished_text="[green]✓"),
        TextColumn("{task.description:>10}"),
        BarColumn(bar_width=40),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[note]}"),
        TimeElapsedColumn(),
        console=console,
        refresh_per_second=8,
    )


def follow_import(
    client: EnrolmentClient,
    console: Console,
    import_id: str,
    expected: int,
    *,
    manual: bool = False,
    import_done: bool = True,
    interval: float = 0.5,
    timeout: float = 600.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> FollowResult:
    """Poll the import's funnel until it settles (see `Settling`), Ctrl-C or `timeout`.
    With `import_done` false (the import is still processing) the import is polled too, and
    nothing settles before it is done."""
    settling = Settling(manual=manual)
    deadline = clock() + timeout
    funnel: FunnelOut | None = None
    failures = 0
    outcome: Outcome = "timed_out"
    with _progress(console) as progress:
        tasks: dict[str, TaskID] = {
            stage: progress.add_task(stage, total=expected, note="") for stage in STAGES
        }
        try:
            while True:
                try:
                    if not import_done:
                        summary = client.get_import(import_id)
                        import_done = summary.done
                        for task in tasks.values():
                            progress.update(task, total=summary.enrolled)
                    funnel = client.funnel(FunnelQuery(import_id=import_id))
                    failures = 0
                except (ApiError, ApiDrift):  # a refusal or a misfit: polling again won't help
                    raise
                except CliError:
                    failures += 1
                    if failures >= TRANSIENT_FAILURES:
                        raise
                else:
                    _draw(progress, tasks, funnel, manual=manual)
                    if settling.observe(funnel, import_done=import_done):
                        outcome = "settled"
                        break
                if clock() >= deadline:
                    break
                sleep(interval)
        except KeyboardInterrupt:
            outcome = "interrupted"
    return FollowResult(funnel, outcome)


def _draw(progress: Progress, tasks: dict[str, TaskID], funnel: FunnelOut, *, manual: bool) -> None:
    notes = {
        "invited": "[dim]invite by hand[/]" if manual else "",
        "emailed": f"[red]{funnel.failed:,} failed[/]" if funnel.failed else "",
        "registered": "[dim]as people sign up[/]",
    }
    counts = funnel.model_dump()
    for stage, task in tasks.items():
        progress.update(task, completed=counts[stage], note=notes.get(stage, ""))
