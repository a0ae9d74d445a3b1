"""Case 1: a CSV of N people POSTed to the enrolment service, until every row is stored (the
response) and every EnrolmentCreated is published (the enrolment database's outbox is empty).

The services downstream are frozen (SIGSTOP) meanwhile, so the figure is the enrolment
service's own rather than shared with the invitation and email work its events cause on the
same cores; case 2 reports the same two figures with the whole pipeline running.
"""

import time

import asyncpg
import httpx

from bench.data import people_csv
from bench.infra import Stack, ensure_course, wait_until
from bench.outbox import claim_plan, outbox_waiting
from bench.procstat import memory_kib, sampled
from bench.report import Measurement, Report
from bench.settings import BenchSettings

DOWNSTREAM = ("invitation", "notification", "registration")
# No target of its own: the target is a ratio to the COPY limit (bench.run).
TARGET = None


async def post_import(client: httpx.AsyncClient, course: str, csv: bytes, rows: int) -> None:
    response = await client.post(
        "/v1/imports", params={"course": course}, content=csv, headers={"content-type": "text/csv"}
    )
    if response.status_code != 201:
        raise RuntimeError(f"POST /v1/imports: {response.status_code} {response.text[:500]}")
    body = response.json()
    if (body["enrolled"], body["failed"]) != (rows, 0):
        raise RuntimeError(f"expected {rows} enrolled and none failed, got {body}")


async def run(stack: Stack, settings: BenchSettings, report: Report) -> None:
    rows = settings.rows
    course = "bench-import"
    csv = people_csv(f"import{stack.run_id}", rows)
    pid = stack.pid("enrolment")
    # A healthy relay publishes thousands of rows a second; give up long before a stuck one
    # would eat the whole run's time budget.
    timeout_s = settings.timeout_s(floor_s=60, per_second=1_000)
    conn = await asyncpg.connect(stack.config.database_urls["enrolment"])
    try:
        async with stack.admin(timeout_s=settings.timeout_s()) as client:
            await ensure_course(client, course)
            rss_before = memory_kib(pid, "VmRSS") or 0
            peak_before = memory_kib(pid, "VmHWM") or 0
            stack.pause(*DOWNSTREAM)
            try:
                async with sampled(stack.labeller(), interval_s=0.5) as usage:
                    started = time.perf_counter()
                    await post_import(client, course, csv, rows)
                    stored_s = time.perf_counter() - started

                    plan = await claim_plan(conn)

                    async def drained() -> tuple[bool, str]:
                        waiting = await outbox_waiting(conn)
                        return waiting == 0, f"≈{waiting:,} events waiting in the outbox"

                    try:
                        await wait_until(
                            "outbox drained",
                            drained,
                            timeout_s=timeout_s,
                            interval_s=0.05,
                            stack=stack,
                        )
                    except TimeoutError as error:
                        published = rows - await outbox_waiting(conn)
                        raise TimeoutError(
                            f"{error}: {published / (time.perf_counter() - started):,.0f} "
                            f"rows/s published so far; relay's claim plan: {plan}"
                        ) from error
                    published_s = time.perf_counter() - started
            finally:
                stack.resume(*DOWNSTREAM)
            peak = memory_kib(pid, "VmHWM") or 0
    finally:
        await conn.close()
    note = f"{rows:,} rows; downstream services paused"
    report.add(
        Measurement(
            "import: rows stored (response)",
            rows / stored_s,
            "rows/s",
            TARGET,
            f"{note}; {stored_s:.1f}s",
        ),
        Measurement(
            "import: EnrolmentCreated published (outbox empty)",
            rows / published_s,
            "rows/s",
            TARGET,
            f"{note}; {published_s:.1f}s",
        ),
    )
    report.notes.append(
        f"enrolment service memory: RSS {rss_before / 1024:.0f} MiB before the import "
        f"(peak so far {peak_before / 1024:.0f} MiB), peak {peak / 1024:.0f} MiB (VmHWM) "
        f"after the {rows:,}-row import: +{(peak - rss_before) / 1024:.0f} MiB over the RSS"
    )
    report.notes.append(f"import: the enrolment relay's claim plan once the rows were in: {plan}")
    report.details["import"] = {
        "rows": rows,
        "stored_s": stored_s,
        "published_s": published_s,
        "claim_plan": plan,
        "enrolment_rss_before_kib": rss_before,
        "enrolment_vmhwm_before_kib": peak_before,
        "enrolment_vmhwm_after_kib": peak,
        "cpu": usage.as_dict(),
    }
    report.details.setdefault("cpu_lines", {})["import"] = usage.lines()
