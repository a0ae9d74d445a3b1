"""`make chaos` / `make chaos-smoke`: one run, one report, everything cleaned up.

    python -m bench.chaos [--smoke] [--people N] [--sample S] [--faults a,b,...] [--pause S]

Exits 1 when a person is lost, an account is duplicated, an enrolment ends in an unexpected
state (a sampled registration that never completed included) or the flow does not drain in
time; 2 when the run itself could not be carried out. Duplicate emails are reported, not
failed: a message in flight at a fault may be sent again.
"""

import asyncio
import contextlib
import secrets
import shutil
import signal
import time
import traceback
from pathlib import Path
from types import FrameType
from typing import Any

from onboarding_devtools.devstack import SERVICES, StackConfig
from onboarding_kit.sealing import new_key

from bench.chaos import report
from bench.chaos.flow import Flow, Result
from bench.chaos.infra import OwnInfra
from bench.chaos.machine import chaos_labeller, header
from bench.chaos.registrations import RATE_LIMITS
from bench.chaos.services import Services
from bench.chaos.settings import ChaosSettings, parse_settings
from bench.infra import free_ports
from bench.procstat import sampled

# A killed sender's messages wait for their lease to run out before another takes them: a
# lease shorter than the default minute (and the SMTP timeout under it) keeps the run short.
SENDER_LEASE = {"SEND_LEASE_S": "20", "SMTP_TIMEOUT_S": "10"}


def main(argv: list[str] | None = None) -> int:
    settings = parse_settings(argv)
    results = settings.results_dir
    work = results / "work"  # everything the run starts lives here, and goes at the end
    work.mkdir(parents=True, exist_ok=False)
    for directory in (results.parent, results, work):  # the server user must reach its cluster
        directory.chmod(0o755)
    pg_port, kafka_port, controller_port, smtp_port, sms_port, *service_ports = free_ports(
        5 + len(SERVICES)
    )
    infra = OwnInfra(work / "infra", pg_port, kafka_port, controller_port)
    config = StackConfig(
        run_dir=work / "stack",
        database_urls={s: infra.database_url(s) for s in SERVICES},
        kafka_bootstrap_servers=infra.kafka,
        invitation_link_key=new_key(),
        internal_api_token=secrets.token_urlsafe(32),
        ports=dict(zip(SERVICES, service_ports, strict=True)),
        smtp_port=smtp_port,
        sms_port=sms_port,
        extra_env=dict(RATE_LIMITS) | SENDER_LEASE,
    )
    services = Services(config)
    signal.signal(signal.SIGTERM, _exit_on_signal)
    signal.signal(signal.SIGHUP, _exit_on_signal)
    started = time.monotonic()
    print(
        f"chaos: {settings.people:,} people, faults {', '.join(settings.faults)}; "
        f"own PostgreSQL on 127.0.0.1:{pg_port}, Kafka on {infra.kafka}; results in {results}",
        flush=True,
    )
    result: Result | None = None
    machine: dict[str, Any] = {}
    code = 2
    try:
        machine = asyncio.run(header(infra))
        print("  starting PostgreSQL and Kafka (deploy/local/*.sh) …", flush=True)
        infra.start_postgres()
        infra.start_kafka()
        print(f"  infrastructure up after {time.monotonic() - started:.0f}s", flush=True)
        services.start_all()
        result = asyncio.run(_run(settings, infra, services, config))
        code = 1 if result.failed else 0
    except BaseException as error:
        if not isinstance(error, KeyboardInterrupt | SystemExit):
            traceback.print_exc()
        print(f"chaos: the run could not complete: {type(error).__name__}: {error}", flush=True)
        code = 2
    finally:
        cleanup = _clean_up(services, infra, config, results, work)
    total_s = time.monotonic() - started
    if result is not None:
        _print(result, settings, machine, total_s, cleanup)
        try:
            report.write_json(
                results / "report.json",
                {"machine": machine, "settings": settings, "total_s": total_s, **result.as_dict()},
            )
            print(f"report: {results / 'report.json'}; logs: {results / 'logs'}")
        except (OSError, TypeError, ValueError) as error:
            print(f"report.json could not be written: {error}")
    verdict = {0: "passed", 1: "FAILED", 2: "could not run"}[code]
    print(f"chaos: {verdict} in {total_s:.0f}s (exit {code})", flush=True)
    return code


async def _run(
    settings: ChaosSettings, infra: OwnInfra, services: Services, config: StackConfig
) -> Result:
    await services.wait_started(timeout_s=120)
    flow = Flow(settings, infra, services, config)
    async with (
        sampled(chaos_labeller(services, infra), interval_s=2.0) as usage,
        flow.watching(),
    ):
        await flow.run()
    flow.result.cpu_lines = usage.lines(12)
    return flow.result


def _clean_up(
    services: Services, infra: OwnInfra, config: StackConfig, results: Path, work: Path
) -> list[str]:
    """Stop and delete everything the run started, whatever happened; what went wrong."""
    problems = []
    try:
        services.stop_all()
    except Exception as error:
        problems.append(f"stopping the services: {error}")
    logs = config.run_dir / "logs"
    with contextlib.suppress(OSError):
        if logs.exists():
            shutil.copytree(logs, results / "logs", dirs_exist_ok=True)
    problems += infra.stop()
    for name, path in (
        ("postgres.log", (infra.run_dir / "pg").resolve() / "postgres.log"),
        ("kafka.log", infra.run_dir / "kafka" / "kafka.log"),
        ("kafka.log.prev", infra.run_dir / "kafka" / "kafka.log.prev"),
    ):
        with contextlib.suppress(OSError):
            shutil.copy(path, results / "logs" / name)
    with contextlib.suppress(OSError):
        shutil.copytree(infra.log_dir, results / "logs", dirs_exist_ok=True)
    infra.remove()
    shutil.rmtree(work, ignore_errors=True)
    if work.exists():
        problems.append(f"{work} could not be deleted")
    left = [name for name, p in services.processes.items() if p.poll() is None]
    if left:
        problems.append(f"still running: {', '.join(left)}")
    return problems


def _print(
    result: Result,
    settings: ChaosSettings,
    machine: dict[str, Any],
    total_s: float,
    cleanup: list[str],
) -> None:
    outcome = result.outcome
    print()
    print(
        f"onboarding chaos: {settings.people:,} people, {len(result.faults)} faults, "
        f"{settings.sample} registering; {machine['date']}; {machine['cpu_cores']} cores, "
        f"{machine['memory_gib']} GiB; commit {machine['commit']}; run {total_s:.0f}s"
    )
    print()
    print(
        report.summary_table(
            outcome,
            sample=settings.sample,
            drained_s=result.drained_s,
            after_last_fault_s=result.after_last_fault_s,
            drain_timeout_s=settings.drain_timeout_s,
            unplanned=result.unplanned,
        )
    )
    print()
    print(report.faults_table(result.faults, outcome, settings.people))
    print()
    for line in report.details(outcome, result.registrations):
        print(line)
    for index, fault in enumerate(result.faults):
        if fault.not_ready:
            print(f"fault {index + 1}: not ready again within the limit: {fault.not_ready}")
    for exit_ in result.unplanned:
        print(f"unplanned exit: {exit_.service} (code {exit_.code}), restarted")
    print()
    print(report.ATTRIBUTION)
    print()
    print("CPU during the run (% of one core, from /proc; 'other:' is not this run's):")
    for line in result.cpu_lines:
        print(f"  {line}")
    print("Busy in the 3 s before the run:")
    for line in machine["busy_before"]:
        print(f"  {line}")
    for problem in cleanup:
        print(f"cleanup: {problem}")


def _exit_on_signal(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)
