"""`make bench`: every benchmark case, in one run on one machine, and one table.

    python -m bench.run [--rows N] [--latency-tries T]     # env BENCH_ROWS, BENCH_LATENCY_TRIES

Order: the latency, the import and the end-to-end run, each on a fresh stack of its own (so
the latency's mailbox is empty and each bulk case starts on new tables); then the naive way
and the limits, which need no services. The `replicas` case (1 and 2 processes of invitation
and notification, one stopped mid-run) runs last, and only when named in BENCH_CASES.
Exits non-zero when a case could not complete (a missed target is reported, not an error).
"""

import asyncio
import os
import platform
import socket
import sys
import time
import traceback
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import asyncpg

from bench import case_e2e, case_import, case_latency, case_limits, case_naive, case_replicas
from bench.infra import running_stack
from bench.procstat import CORES, commit_described, everyone_labeller, machine_memory_gib, sampled
from bench.report import Measurement, Report, Target, at_least, at_most
from bench.settings import REPO_ROOT, BenchSettings, parse_settings

T = TypeVar("T")

Rows = Sequence[tuple[str, str, Target | None]]

# What each case reports, so a case that cannot run still has its rows, marked FAILED.
LATENCY_ROWS: Rows = [
    ("latency: enrolment → email, p50", "ms", None),
    ("latency: enrolment → email, p99", "ms", at_most(100, " ms")),
]
IMPORT_ROWS: Rows = [
    ("import: rows stored (response)", "rows/s", case_import.TARGET),
    ("import: EnrolmentCreated published (outbox empty)", "rows/s", case_import.TARGET),
]
E2E_ROWS: Rows = [("end to end: import → emails in the sink", "people/s", None)]
NAIVE_ROWS: Rows = [("naive: one process, row by row", "people/s", None)]
REPLICAS_ROWS: Rows = [
    ("replicas: 1 of invitation, notification: end to end", "people/s", None),
    ("replicas: 2 of invitation, notification: end to end", "people/s", None),
]
RATIO = ("end to end / naive", "x", at_least(4, "x"))
# Ratios of two figures of the same run, reported when both are there.
IMPORT_TO_COPY = (
    "import: rows stored / PostgreSQL COPY",
    "import: rows stored (response)",
    "limit: PostgreSQL COPY into enrolments",
    at_least(0.6, "x"),
)
E2E_TO_LIMIT = "end to end / slowest raw limit"
RAW_LIMITS = (
    "limit: Kafka produce (acks=all)",
    "limit: Kafka consume",
    "limit: PostgreSQL COPY into enrolments",
    "limit: SMTP sink accepts",
)


def add_ratios(report: Report) -> None:
    """import / COPY, and end to end / the slowest of the raw limits, when measured."""
    values = {m.case: m.value for m in report.measurements if m.value is not None}
    case, numerator, denominator, target = IMPORT_TO_COPY
    if numerator in values and denominator in values:
        report.add(Measurement(case, values[numerator] / values[denominator], "x", target))
    e2e = values.get(E2E_ROWS[0][0])
    limits = {c: values[c] for c in RAW_LIMITS if c in values}
    if e2e is not None and len(limits) == len(RAW_LIMITS):
        slowest = min(limits, key=limits.__getitem__)
        report.add(
            Measurement(E2E_TO_LIMIT, e2e / limits[slowest], "x", at_least(0.5, "x"), note=slowest)
        )


async def attempt(
    report: Report, name: str, rows: Rows, run: Callable[[], Awaitable[T]]
) -> T | None:
    """Run one case; if it fails, its rows say FAILED with the error and the run goes on."""
    print(f"== {name}", flush=True)
    started = time.monotonic()
    try:
        result = await run()
    except Exception as error:
        traceback.print_exc()
        reported = {m.case for m in report.measurements}
        first_line = next(iter(str(error).splitlines()), "")
        note = f"{type(error).__name__}: {first_line}"[:300]
        report.add(*(Measurement(c, None, u, t, note) for c, u, t in rows if c not in reported))
        print(f"   FAILED after {time.monotonic() - started:.0f}s: {note}", flush=True)
        return None
    print(f"   done in {time.monotonic() - started:.0f}s", flush=True)
    return result


async def run_all(settings: BenchSettings, report: Report) -> None:
    async def latency() -> None:
        async with running_stack(settings, "latency") as stack:  # its mailbox still empty
            await case_latency.run(stack, settings.latency_tries, report)

    async def bulk_import() -> None:
        async with running_stack(settings, "import") as stack:
            await case_import.run(stack, settings, report)

    async def end_to_end() -> float:
        async with running_stack(settings, "end-to-end") as stack:
            return await case_e2e.run(stack, settings, report)

    tries = settings.latency_tries
    e2e = naive = None
    if settings.runs("latency"):
        await attempt(report, f"latency: {tries} single enrolments at idle", LATENCY_ROWS, latency)
    if settings.runs("import"):
        await attempt(
            report,
            f"import: {settings.rows:,} rows, enrolment service alone",
            IMPORT_ROWS,
            bulk_import,
        )
    if settings.runs("end-to-end"):
        e2e = await attempt(report, f"end to end: {settings.rows:,} people", E2E_ROWS, end_to_end)
    if settings.runs("naive"):
        naive = await attempt(
            report,
            f"naive: {settings.rows:,} people row by row",
            NAIVE_ROWS,
            lambda: case_naive.run(settings, report),
        )
    if settings.runs("end-to-end") and settings.runs("naive"):
        case, unit, target = RATIO
        if e2e is not None and naive is not None:
            report.add(Measurement(case, e2e / naive, unit, target))
        else:
            report.add(
                Measurement(case, None, unit, target, "end to end or naive did not complete")
            )
    if settings.runs("limits"):
        await attempt(
            report, "limits: Kafka, COPY, SMTP sink", [], lambda: case_limits.run(settings, report)
        )
    add_ratios(report)
    if settings.runs("replicas"):  # four stacks: only when asked for (BENCH_CASES)
        await attempt(
            report,
            f"replicas: {settings.rows:,} people, 1 and 2 replicas, one stopped",
            REPLICAS_ROWS,
            lambda: case_replicas.run(settings, report),
        )


async def machine_state(settings: BenchSettings) -> dict[str, Any]:
    """What the figures depend on: the machine, the server settings, what else was busy."""
    async with sampled(everyone_labeller, interval_s=3.0) as before:
        await asyncio.sleep(3)
    conn = await asyncpg.connect(settings.postgres_url)
    try:
        pg = {
            name: await conn.fetchval(f"SHOW {name}")
            for name in ("server_version", "fsync", "synchronous_commit", "shared_buffers")
        }
    finally:
        await conn.close()
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "host": socket.gethostname(),
        "cpu_cores": CORES,
        "memory_gib": machine_memory_gib(),
        "python": platform.python_version(),
        "commit": commit_described(),
        "postgres": pg,
        "rows": settings.rows,
        "latency_tries": settings.latency_tries,
        "busy_before": before.lines(6),
    }


def print_report(report: Report, header: dict[str, Any]) -> None:
    print()
    print(
        f"onboarding bench: {header['rows']:,} rows, {header['latency_tries']} latency tries; "
        f"{header['date']}; {header['cpu_cores']} cores, {header['memory_gib']} GiB; "
        f"commit {header['commit']}"
    )
    pg = header["postgres"]
    print(
        f"PostgreSQL {pg['server_version']} (fsync={pg['fsync']}, "
        f"synchronous_commit={pg['synchronous_commit']})"
    )
    print()
    print(report.table())
    print()
    for note in report.notes:
        print(note)
    for m in report.measurements:
        if m.note:
            print(f"  {m.case.strip()}: {m.note}")
    print()
    print("CPU while each case ran (% of one core; from /proc, per process):")
    for case, lines in report.details.get("cpu_lines", {}).items():
        print(f"- {case}: {lines[0]}")
        for line in lines[1:]:
            print(f"  {line}")
    print()
    print("In the 3 s before the run: " + "\n".join(header["busy_before"]))


def main(argv: list[str] | None = None) -> int:
    settings = parse_settings(argv)
    settings.results_dir.mkdir(parents=True, exist_ok=True)
    report = Report()
    started = time.monotonic()

    async def everything() -> dict[str, Any]:
        header = await machine_state(settings)
        print(f"bench: {settings.rows:,} rows; results in {settings.results_dir}", flush=True)
        await run_all(settings, report)
        return header

    header = asyncio.run(everything())
    header["total_s"] = round(time.monotonic() - started, 1)
    report.write(settings.results_dir / "results.json", header)
    print_report(report, header)
    print(f"total {header['total_s']:.0f}s; details in {settings.results_dir / 'results.json'}")
    if report.any_failed:
        print("some cases did not complete (FAILED above)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    os.chdir(REPO_ROOT)
    sys.exit(main())
