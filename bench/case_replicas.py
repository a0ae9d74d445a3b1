"""Case `replicas`: the end-to-end import with 1 and then 2 processes each of invitation and
notification (people/s for each), and two runs with 2 where one replica of each is stopped
in the middle: by SIGTERM (a graceful stop: every person emailed exactly once) and by
SIGKILL (a crash: what the survivor sends again is reported, at most the messages the dead
one had in flight). Each stopping run checks the emails the sink accepted against the
notification database and that the survivor's consumer group took every partition over.

    python -m bench.case_replicas [--rows N]     # this case alone (env BENCH_ROWS)
"""

import asyncio
import os
import signal
import sys
from pathlib import Path

import asyncpg
from onboarding_devtools.devstack import (
    REPLICATED,
    StackConfig,
    replica_name,
)
from onboarding_devtools.replicas import events_consumed, group_assignment

from bench import case_e2e
from bench.case_import import post_import
from bench.data import people_csv
from bench.infra import Stack, count_mail, ensure_course, running_stack, wait_until
from bench.report import Measurement, Report
from bench.settings import REPO_ROOT, BenchSettings, parse_settings

# A crashed sender's messages wait for their lease to run out before another sends them.
CRASH_LEASE_S = 10
STOP_AFTER_SHARE = 0.3  # stop a replica once this share of the emails is sent


async def run(settings: BenchSettings, report: Report) -> None:
    rates = {}
    for replicas in (1, 2):
        async with running_stack(settings, f"replicas-{replicas}", replicas=replicas) as stack:
            scratch = Report()
            rates[replicas] = await case_e2e.run(stack, settings, scratch)
            label = f"replicas: {replicas} of invitation, notification"
            report.add(Measurement(f"{label}: end to end", rates[replicas], "people/s"))
            cpu = scratch.details.get("cpu_lines", {}).get("end to end")
            if cpu:
                report.details.setdefault("cpu_lines", {})[label] = cpu
    report.add(Measurement("replicas: 2 / 1", rates[2] / rates[1], "x"))
    for how in (signal.SIGTERM, signal.SIGKILL):
        env = {"SEND_LEASE_S": str(CRASH_LEASE_S)} if how == signal.SIGKILL else {}
        async with running_stack(
            settings, f"replicas-{how.name}", replicas=2, extra_env=env
        ) as stack:
            await _stop_one_mid_run(stack, settings, report, how)


async def _stop_one_mid_run(
    stack: Stack, settings: BenchSettings, report: Report, how: signal.Signals
) -> None:
    rows, config = settings.rows, stack.config
    course = "bench-replicas"
    async with stack.admin(timeout_s=settings.timeout_s()) as client:
        await ensure_course(client, course)
        await post_import(client, course, people_csv(f"rep{stack.run_id}", rows), rows)
    notification = await asyncpg.connect(config.database_urls["notification"])
    try:

        async def share_sent() -> tuple[bool, str]:
            sent = await case_e2e.sent_emails(notification)
            return sent >= rows * STOP_AFTER_SHARE, f"{sent:,} sent"

        await wait_until("a share of the emails", share_sent, timeout_s=settings.timeout_s())
        partitions = await _partitions_held(config, members=2)
        consumed = {
            name: await events_consumed(config, name)
            for s in REPLICATED
            for name in (s, replica_name(s, 2))
        }
        idle = [name for name, count in consumed.items() if not count]
        if idle:
            raise RuntimeError(f"{', '.join(idle)} consumed nothing before the stop")
        for service in REPLICATED:
            os.kill(stack.pid(replica_name(service, 2)), how)
        for service in REPLICATED:
            stack.processes.pop(replica_name(service, 2)).wait(timeout=30)

        async def all_sent() -> tuple[bool, str]:
            sent = await case_e2e.sent_emails(notification)
            return sent >= rows, f"{sent:,} of {rows:,} sent"

        await wait_until(
            f"{rows:,} emails with one replica stopped",
            all_sent,
            timeout_s=settings.timeout_s(per_second=100),
            stack=stack,
        )
        sent = await case_e2e.sent_emails(notification)
    finally:
        await notification.close()

    after = await _partitions_held(config, members=1)
    if after != partitions:
        raise RuntimeError(f"the survivors hold {after} partitions, the pair held {partitions}")
    mail = await _settled_mail_count(config.mail_dir)
    again = mail - rows
    if sent != rows or again < 0 or (how == signal.SIGTERM and again != 0):
        raise RuntimeError(
            f"{rows:,} people: {sent:,} sent in the database, {mail:,} emails in the sink"
        )
    report.add(
        Measurement(
            f"replicas: one of 2 stopped by {how.name}: emails sent twice",
            again,
            "emails",
            note=(
                f"{rows:,} people, {mail:,} emails in the sink; events consumed before the stop "
                + ", ".join(f"{n} {c:,}" for n, c in consumed.items())
                + "; then the survivors held all the partitions ("
                + ", ".join(f"{s} {n}" for s, n in partitions.items())
                + ")"
            ),
        )
    )


async def _partitions_held(config: StackConfig, members: int) -> dict[str, int]:
    """Each replicated service's partitions, once its group is stable with `members`
    members each holding some."""
    held: dict[str, dict[str, int]] = {}

    async def stable() -> tuple[bool, str]:
        for service in REPLICATED:
            held[service] = await group_assignment(config, service)
        done = all(len(h) == members and all(h.values()) for h in held.values())
        return done, str(held)

    await wait_until(f"{members} member(s) in each group", stable, timeout_s=60)
    return {service: sum(h.values()) for service, h in held.items()}


async def _settled_mail_count(mail_dir: Path) -> int:
    """The emails the sink accepted, once no more arrive (a re-sent one may come late)."""
    count = -1
    while (now := await asyncio.to_thread(count_mail, mail_dir)) != count:
        count = now
        await asyncio.sleep(2)
    return count


def main() -> int:
    settings = parse_settings(sys.argv[1:])
    settings.results_dir.mkdir(parents=True, exist_ok=True)
    report = Report()
    asyncio.run(run(settings, report))
    print(report.table())
    for m in report.measurements:
        if m.note:
            print(f"  {m.case}: {m.note}")
    for case, lines in report.details.get("cpu_lines", {}).items():
        print(f"- {case}:", *lines, sep="\n  ")
    return 0


if __name__ == "__main__":
    os.chdir(REPO_ROOT)
    sys.exit(main())
