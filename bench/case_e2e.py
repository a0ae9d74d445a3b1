"""Case 2: the same import with the whole pipeline running, until N invitation emails were
accepted by the SMTP server (Postfix's smtp-sink by default, BENCH_SMTP).

Progress is read from the notification database (`status = 'sent'` is committed after the
server accepted the message); the server's own count (smtp-sink's counter, or the aiosmtpd
sink's `.eml` files) is checked once at the end.
"""

import asyncio
import time
from pathlib import Path

import asyncpg

from bench.case_import import post_import
from bench.data import people_csv
from bench.infra import Stack, count_mail, ensure_course, wait_until
from bench.outbox import claim_plan, outbox_waiting
from bench.procstat import ps_snapshot, sampled
from bench.report import Measurement, Report
from bench.settings import BenchSettings

PLAN_AFTER_S = 10  # when to look at the relays' claim plans


async def sent_emails(conn: asyncpg.Connection) -> int:
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM messages WHERE status = 'sent' AND kind <> 'welcome'"
        )
    )


def _until_next_count(sent: int, rows: int, elapsed_s: float) -> float:
    """Counting the messages sent is a scan of their table, work for the database being
    measured: far from the end it is done rarely, near it every poll (a quarter of the
    time the rest should take, at most 2 s)."""
    if sent <= 0 or sent >= rows:
        return 0.0
    remaining_s = (rows - sent) / (sent / elapsed_s)
    return min(2.0, remaining_s / 4)


async def run(stack: Stack, settings: BenchSettings, report: Report) -> float:
    """Returns people/s, for the comparison with the naive way."""
    rows = settings.rows
    course = "bench-e2e"
    csv = people_csv(f"e2e{stack.run_id}", rows)
    mail_dir = stack.config.mail_dir
    urls = stack.config.database_urls
    enrolment = await asyncpg.connect(urls["enrolment"])
    invitation = await asyncpg.connect(urls["invitation"])
    notification = await asyncpg.connect(urls["notification"])
    plans: dict[str, str] = {}
    try:
        sent_before, mail_before = await sent_emails(notification), count_mail(mail_dir)
        async with stack.admin(timeout_s=settings.timeout_s()) as client:
            await ensure_course(client, course)
            async with sampled(stack.labeller(), interval_s=1.0) as usage:
                started = time.perf_counter()
                await post_import(client, course, csv, rows)
                stored_s = time.perf_counter() - started
                published_s: float | None = None

                look_again_at, progress = 0.0, "no email sent yet"

                async def emailed() -> tuple[bool, str]:
                    nonlocal published_s, look_again_at, progress
                    elapsed = time.perf_counter() - started
                    if published_s is None and await outbox_waiting(enrolment) == 0:
                        published_s = elapsed
                    if not plans and elapsed > PLAN_AFTER_S:  # once, with the backlogs built up
                        for name, conn in (
                            ("invitation", invitation),
                            ("notification", notification),
                        ):
                            plans[name] = await claim_plan(conn)
                    if elapsed < look_again_at:
                        return False, progress
                    sent = await sent_emails(notification) - sent_before
                    look_again_at = elapsed + _until_next_count(sent, rows, elapsed)
                    progress = f"{sent:,} of {rows:,} emails sent"
                    return sent >= rows, progress

                await wait_until(
                    f"{rows:,} invitation emails",
                    emailed,
                    timeout_s=settings.timeout_s(per_second=200),
                    interval_s=0.2,
                    stack=stack,
                )
                emailed_s = time.perf_counter() - started
                ps = ps_snapshot(stack.labeller())
    finally:
        for conn in (enrolment, invitation, notification):
            await conn.close()
    mail = await _mail_count(mail_dir, mail_before, rows)
    if mail != rows:
        raise RuntimeError(f"{rows:,} notifications sent but the sink counted {mail:,} new emails")
    people_per_s = rows / emailed_s
    note = f"{rows:,} people in {emailed_s:.1f}s; {mail:,} accepted by the sink at the end"
    report.add(
        Measurement(
            "end to end: import → emails in the sink",
            people_per_s,
            "people/s",
            None,  # its targets are ratios: to the naive way and to the raw limits (bench.run)
            note,
        ),
        Measurement(
            "  same run: rows stored (response)",
            rows / stored_s,
            "rows/s",
            note=f"{stored_s:.1f}s, with the pipeline running",
        ),
    )
    if published_s is not None:
        report.add(
            Measurement(
                "  same run: EnrolmentCreated published",
                rows / published_s,
                "rows/s",
                note=f"{published_s:.1f}s, with the pipeline running",
            )
        )
    for name, plan in plans.items():
        report.notes.append(f"end to end: the {name} relay's claim plan mid-run: {plan}")
    report.details["end_to_end"] = {
        "rows": rows,
        "stored_s": stored_s,
        "published_s": published_s,
        "emailed_s": emailed_s,
        "claim_plans": plans,
        "cpu": usage.as_dict(),
        "ps": ps,
    }
    report.details.setdefault("cpu_lines", {})["end to end"] = usage.lines()
    return people_per_s


async def _mail_count(mail_dir: Path, before: int, rows: int) -> int:
    """New messages in the sink's count. It counts each one about when it answers, so they
    are all there already; a short grace period covers anything slower."""
    for _ in range(20):
        found = await asyncio.to_thread(count_mail, mail_dir) - before
        if found >= rows:
            break
        await asyncio.sleep(0.5)
    return found
