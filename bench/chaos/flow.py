"""The run itself: the import, the faults as the emails go out, the registrations with
them, the wait until the flow drains, and the accounting.

A watcher reads the mailbox every quarter second (progress is people with an email, which
needs no database and so is known during a PostgreSQL restart too) and restarts any process
that ended without being killed here, noting it.
"""

import asyncio
import contextlib
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
from enrolment.tenants import ensure_tenant
from onboarding_devtools.devstack import StackConfig

from bench.case_import import post_import
from bench.chaos.faults import Fault, inject, plan
from bench.chaos.infra import OwnInfra
from bench.chaos.mailbox import Mailbox
from bench.chaos.registrations import Registrar, Registration
from bench.chaos.services import Exit, Services
from bench.chaos.settings import ChaosSettings
from bench.chaos.verify import Outcome, verify
from bench.data import email_of, people_csv
from bench.infra import ensure_course

COURSE = "chaos"
WATCH_INTERVAL_S = 0.25
PROGRESS_EVERY_S = 10.0
IN_FLIGHT_LEAD_S = 0.2  # registrations sent this long before their fault, to be in flight


@dataclass
class Result:
    outcome: Outcome
    faults: list[Fault]
    registrations: list[Registration]
    unplanned: list[Exit]
    started_ns: int = 0  # when the import was sent (wall clock)
    import_s: float = 0.0  # until the import's response
    drained_s: float | None = None  # from the import sent until everything drained
    after_last_fault_s: float | None = None
    progress: list[tuple[float, int]] = field(default_factory=list)  # (s, people emailed)
    cpu_lines: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.outcome.failed or self.drained_s is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "started_ns": self.started_ns,
            "import_s": self.import_s,
            "drained_s": self.drained_s,
            "after_last_fault_s": self.after_last_fault_s,
            "outcome": self.outcome,
            "faults": self.faults,
            "registrations": self.registrations,
            "unplanned_exits": self.unplanned,
            "progress": self.progress,
            "cpu": self.cpu_lines,
        }


class Flow:
    def __init__(
        self, settings: ChaosSettings, infra: OwnInfra, services: Services, config: StackConfig
    ) -> None:
        self.settings = settings
        self.infra = infra
        self.services = services
        self.config = config
        self.mailbox = Mailbox(config.mail_dir)
        self.registrar = Registrar(
            config.url("registration"), self.mailbox, settings.registration_deadline_s
        )
        self.faults = plan(settings.faults, settings.people)
        self.result = Result(
            Outcome(settings.people), self.faults, self.registrar.people, services.unplanned
        )
        self._started = time.monotonic()

    def since_start(self) -> float:
        return time.monotonic() - self._started

    @contextlib.asynccontextmanager
    async def watching(self) -> AsyncIterator[None]:
        task = asyncio.create_task(self._watch())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _watch(self) -> None:
        last_sample = 0.0
        while True:
            try:
                await self.scan_mail()
                for exit_ in self.services.restart_unplanned_exits():
                    print(f"    ! {exit_.service} exited (code {exit_.code}) unasked: restarted")
            except Exception as error:  # the watcher must outlive a bad moment
                print(f"    ! watcher: {type(error).__name__}: {error}", flush=True)
            if time.monotonic() - last_sample >= 1:
                self.result.progress.append((round(self.since_start(), 1), self.mailbox.people))
                last_sample = time.monotonic()
            await asyncio.sleep(WATCH_INTERVAL_S)

    async def scan_mail(self) -> None:
        self.mailbox.add(await asyncio.to_thread(self.mailbox.read_new))

    async def run(self) -> None:
        s = self.settings
        api_key = f"onb_{secrets.token_urlsafe(32)}"
        await ensure_tenant(self.config.database_urls["enrolment"], "chaos", api_key)
        tag = f"chaos{secrets.token_hex(3)}"
        emails = [email_of(tag, n).lower() for n in range(1, s.people + 1)]
        async with httpx.AsyncClient(
            base_url=self.config.url("enrolment"),
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=120 + s.people / 500,
        ) as admin:
            await ensure_course(admin, COURSE)
            print(f"  importing {s.people:,} people …", flush=True)
            self._started = time.monotonic()
            self.result.started_ns = time.time_ns()
            await post_import(admin, COURSE, people_csv(tag, s.people), s.people)
        self.result.import_s = self.since_start()
        print(f"  import accepted after {self.result.import_s:.1f}s", flush=True)
        await self._faults()
        recovered = time.monotonic()
        self.result.drained_s = await self._drain()
        if self.result.drained_s is not None:
            self.result.after_last_fault_s = time.monotonic() - recovered
        await self.registrar.finish(timeout_s=s.registration_deadline_s)
        await asyncio.sleep(2)  # anything still being written
        await self.scan_mail()
        await verify(
            self.result.outcome,
            infra=self.infra,
            emails=emails,
            mailbox=self.mailbox,
            faults=self.faults,
            sample=self.registrar.people,
            sample_size=s.sample,
            started_ns=self.result.started_ns,
        )

    async def _faults(self) -> None:
        s = self.settings
        count = len(self.faults)
        shares = [s.sample // count + (i < s.sample % count) for i in range(count)]
        for index, fault in enumerate(self.faults):
            fault.threshold_reached = await self._until(
                lambda f=fault: self.mailbox.people >= f.threshold, s.threshold_timeout_s
            )
            self.registrar.launch(shares[index], index)
            fault.registrations = shares[index]
            await asyncio.sleep(IN_FLIGHT_LEAD_S if shares[index] else 0)
            fault.emailed_before = self.mailbox.people
            fault.at_s = self.since_start()
            print(
                f"  fault {index + 1}/{count}: {fault.label} at {fault.at_s:.1f}s, "
                f"{fault.emailed_before:,} of {s.people:,} emailed, "
                f"{shares[index]} registering",
                flush=True,
            )
            await inject(
                fault,
                services=self.services,
                infra=self.infra,
                pause_s=s.pause_s,
                ready_timeout_s=s.ready_timeout_s,
            )
            ready = (
                f"NOT ready after {fault.ready_after_s:.0f}s: {fault.not_ready} (going on)"
                if fault.not_ready
                else f"every service ready after {fault.ready_after_s:.1f}s"
            )
            print(f"    restarted after {fault.restarted_after_s:.1f}s, {ready}", flush=True)
            await asyncio.sleep(s.settle_s)

    async def _until(self, condition: Any, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while not condition():
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.05)
        return True

    async def _drain(self) -> float | None:
        """Until everyone is emailed and marked so, every registration is done and applied,
        and every outbox is empty; the seconds since the import was sent, or None."""
        deadline = time.monotonic() + self.settings.drain_timeout_s
        last_report = time.monotonic()
        while True:
            done, progress = await self._drained()
            if done:
                print(f"  drained after {self.since_start():.1f}s ({progress})", flush=True)
                return self.since_start()
            if time.monotonic() > deadline:
                print(f"  NOT drained within {self.settings.drain_timeout_s:.0f}s: {progress}")
                return None
            if time.monotonic() - last_report >= PROGRESS_EVERY_S:
                print(f"    … {progress} at {self.since_start():.0f}s", flush=True)
                last_report = time.monotonic()
            await asyncio.sleep(1)

    async def _drained(self) -> tuple[bool, str]:
        people = self.settings.people
        emailed = self.mailbox.people
        # Read before the accounts are counted: a registration answered after the count
        # would otherwise be missed by the comparison below.
        pending = self.registrar.pending
        try:
            enrolments = await _one(
                self.infra.database_url("enrolment"),
                """SELECT count(*) AS enrolled, count(invited_at) AS invited,
                          count(emailed_at) AS emailed,
                          count(*) FILTER (WHERE status = 'active') AS active
                   FROM enrolments""",
            )
            accounts = await _one(
                self.infra.database_url("registration"),
                "SELECT count(*) FILTER (WHERE status = 'active') AS active FROM accounts",
            )
            waiting = 0
            for name in self.config.database_urls:
                row = await _one(self.infra.database_url(name), "SELECT count(*) FROM outbox")
                waiting += int(row[0])
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as error:
            return False, f"{emailed:,} of {people:,} emailed; database: {error}"
        progress = (
            f"{emailed:,} of {people:,} people emailed; enrolments: {enrolments['invited']:,} "
            f"invited, {enrolments['emailed']:,} marked emailed, {enrolments['active']} active "
            f"of {accounts['active']} accounts; {pending} registering; {waiting:,} in outboxes"
        )
        done = (
            emailed >= people
            and enrolments["invited"] == enrolments["emailed"] == people
            and enrolments["active"] == accounts["active"]
            and pending == 0
            and waiting == 0
        )
        return done, progress


async def _one(url: str, query: str) -> asyncpg.Record:
    conn = await asyncpg.connect(url, timeout=5)
    try:
        row: asyncpg.Record = await conn.fetchrow(query, timeout=10)
        return row
    finally:
        await conn.close()
