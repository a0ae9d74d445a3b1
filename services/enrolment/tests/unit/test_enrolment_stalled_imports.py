"""The stalled-imports job without I/O: the age it reports and the gauge it sets."""

from datetime import UTC, datetime, timedelta
from typing import Any, cast

from enrolment.store import EnrolmentTransaction
from enrolment.store.imports import ImportProgress
from enrolment.use_cases.stalled_imports import (
    STALLED_IMPORTS_STATEMENT_MS,
    sample_stalled_imports,
    stalled_for,
)

NOW = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


def test_the_stall_is_the_time_since_the_least_recent_progress() -> None:
    assert stalled_for(NOW - timedelta(minutes=7, seconds=30), NOW) == 450
    assert stalled_for(NOW, NOW) == 0


def test_no_unsettled_import_and_a_clock_running_behind_both_show_no_stall() -> None:
    assert stalled_for(None, NOW) == 0
    assert stalled_for(NOW + timedelta(seconds=3), NOW) == 0


class FakeImports:
    def __init__(self, least_recent: ImportProgress | None) -> None:
        self.least_recent = least_recent

    async def least_recent_progress(self) -> ImportProgress | None:
        return self.least_recent


class FakeTransaction:
    def __init__(self, least_recent: ImportProgress | None) -> None:
        self.imports = FakeImports(least_recent)
        self.statement_limits: list[int] = []

    async def limit_statement_time(self, milliseconds: int) -> None:
        self.statement_limits.append(milliseconds)


class Gauge:
    def __init__(self) -> None:
        self.values: list[float] = []

    def imports_stalled_for(self, seconds: float) -> None:
        self.values.append(seconds)


async def sample(least_recent: ImportProgress | None) -> tuple[int, list[float], Any]:
    tx, gauge = FakeTransaction(least_recent), Gauge()
    done = await sample_stalled_imports(
        cast(EnrolmentTransaction, tx), clock=lambda: NOW, gauge=gauge
    )
    return done, gauge.values, tx


async def test_each_turn_sets_the_gauge_to_the_longest_stall_in_a_bounded_statement() -> None:
    done, values, tx = await sample(ImportProgress("imp-1", NOW - timedelta(minutes=6)))
    assert (done, values) == (0, [360])
    assert tx.statement_limits == [STALLED_IMPORTS_STATEMENT_MS]

    done, values, _ = await sample(None)
    assert (done, values) == (0, [0]), "every import settled: the gauge goes back to 0"
