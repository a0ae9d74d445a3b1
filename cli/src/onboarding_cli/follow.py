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

from onboarding_cli.client import ApiError, CliError, EnrolmentClient

STAGES = ("enrolled", "invited", "emailed", "registered")
STABLE_POLLS = 3  # the funnel must hold still this many polls before we call it settled
TRANSIENT_FAILURES = 10  # polls in a row that may fail (a restart, a blip) before giving up

Outcome = Literal["settled", "interrupted", "timed_out"]


@dataclass
class Settling:
    """Decides when an import has settled: everyone enrolled was invited (or failed), everyone
    invited was emailed (or failed), and the numbers stopped moving. With manual invitations
    nobody is invited by the platform, so only the enrolled count has to settle."""

    manual: bool = False
    stable_polls: int = STABLE_POLLS
    _last: dict[str, int] | None = field(default=None, init=False)
    _unchanged: int = field(default=0, init=False)

    def observe(self, funnel: dict[str, int]) -> bool:
        self._unchanged = self._unchanged + 1 if funnel == self._last else 0
        self._last = dict(funnel)
        return self.caught_up(funnel) and self._unchanged >= self.stable_polls - 1

    def caught_up(self, funnel: dict[str, int]) -> bool:
        if self.manual:
            return True
        failed = funnel.get("failed", 0)
        enrolled, invited = funnel.get("enrolled", 0), funnel.get("invited", 0)
        return invited + failed >= enrolled and funnel.get("emailed", 0) + failed >= invited


@dataclass
class FollowResult:
    funnel: dict[str, int]
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
    interval: float = 0.5,
    timeout: float = 600.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> FollowResult:
    settling = Settling(manual=manual)
    deadline = clock() + timeout
    funnel: dict[str, int] = {}
    failures = 0
    outcome: Outcome = "timed_out"
    with _progress(console) as progress:
        tasks: dict[str, TaskID] = {
            stage: progress.add_task(stage, total=expected, note="") for stage in STAGES
        }
        try:
            while True:
                try:
                    funnel = client.funnel({"import_id": import_id})
                    failures = 0
                except ApiError:
                    raise
                except CliError:
                    failures += 1
                    if failures >= TRANSIENT_FAILURES:
                        raise
                else:
                    _draw(progress, tasks, funnel, manual=manual)
                    if settling.observe(funnel):
                        outcome = "settled"
                        break
                if clock() >= deadline:
                    break
                sleep(interval)
        except KeyboardInterrupt:
            outcome = "interrupted"
    return FollowResult(funnel, outcome)


def _draw(
    progress: Progress, tasks: dict[str, TaskID], funnel: dict[str, int], *, manual: bool
) -> None:
    failed = funnel.get("failed", 0)
    notes = {
        "invited": "[dim]invite by hand[/]" if manual else "",
        "emailed": f"[red]{failed:,} failed[/]" if failed else "",
        "registered": "[dim]as people sign up[/]",
    }
    for stage, task in tasks.items():
        progress.update(task, completed=funnel.get(stage, 0), note=notes.get(stage, ""))
