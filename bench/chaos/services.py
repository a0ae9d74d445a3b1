"""The SMTP sink and the four services as processes, each of which can be killed and started
again on the same port, database and topics.

They are started as `onboarding_devtools.devstack` starts them (the same commands, the same
environment: each service holds only its own secrets); a restarted service appends to the
same log.
"""

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

import httpx
from onboarding_devtools.devstack import (
    SECRET_VARIABLES,
    SERVICES,
    StackConfig,
    start_processes,
    stop_processes,
    wait_ready,
)

SINK = "smtp-sink"
RESTART_AFTER_S = 3.0  # an unplanned exit is restarted at most this often


@dataclass
class Exit:
    service: str
    code: int | None
    at_ns: int


@dataclass
class Services:
    config: StackConfig
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    killing: set[str] = field(default_factory=set)  # killed on purpose, not restarted yet
    unplanned: list[Exit] = field(default_factory=list)
    _launched: dict[str, float] = field(default_factory=dict)  # name -> when (monotonic)

    def start_all(self) -> None:
        self.processes = start_processes(self.config)

    def pid(self, name: str) -> int:
        return self.processes[name].pid

    def kill(self, name: str) -> int:
        """SIGKILL the service; returns its pid once it has exited."""
        process = self.processes[name]
        self.killing.add(name)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        return process.pid

    def restart(self, name: str) -> None:
        self.processes[name] = self._launch(name)
        self.killing.discard(name)

    async def wait_started(self, timeout_s: float) -> None:
        """The first start: until all four answer /readyz; one that exits fails it."""
        await wait_ready(self.config, self.processes, timeout_s=timeout_s)

    async def wait_ready(self, timeout_s: float) -> None:
        """After a fault: until all four answer /readyz (their database and the broker
        reachable). One that exits meanwhile is started again by the run's watcher."""
        deadline = time.monotonic() + timeout_s
        pending = set(SERVICES)
        async with httpx.AsyncClient(timeout=2) as http:
            while pending:
                for name in sorted(pending):
                    with contextlib.suppress(httpx.TransportError):
                        response = await http.get(f"{self.config.url(name)}/readyz")
                        if response.status_code == 200:
                            pending.discard(name)
                if pending and time.monotonic() > deadline:
                    raise TimeoutError(", ".join(sorted(pending)))
                await asyncio.sleep(0.2)

    def restart_unplanned_exits(self) -> list[Exit]:
        """Services that ended without being killed here (none should): noted, and started
        again, so that one crash does not stall the rest of the run."""
        found = []
        for name in (*SERVICES, SINK):
            process = self.processes.get(name)
            if name in self.killing or process is None or process.poll() is None:
                continue
            if time.monotonic() - self._launched.get(name, 0.0) < RESTART_AFTER_S:
                continue  # it just started and failed: not in a tight loop
            found.append(Exit(name, process.returncode, time.time_ns()))
            self.processes[name] = self._launch(name)
        self.unplanned.extend(found)
        return found

    def stop_all(self) -> None:
        """SIGTERM, then SIGKILL after 15 s, for every process this run started."""
        stop_processes(self.processes)
        for process in self.processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)

    def _launch(self, name: str) -> subprocess.Popen[bytes]:
        self._launched[name] = time.monotonic()
        if name == SINK:
            command = [
                sys.executable,
                "-m",
                "onboarding_devtools.smtp_sink",
                "--dir",
                str(self.config.mail_dir),
                "--port",
                str(self.config.smtp_port),
            ]
            own: dict[str, str] = {}
        else:
            command = [sys.executable, "-m", name]
            own = self.config.service_env(name)
        inherited = {k: v for k, v in os.environ.items() if k not in SECRET_VARIABLES}
        logs = self.config.run_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        with (logs / f"{name}.log").open("ab") as log:
            log.write(f"\n=== restarted by bench.chaos at {time.strftime('%H:%M:%S')}\n".encode())
            log.flush()
            return subprocess.Popen(  # noqa: S603
                command,
                env={**inherited, **own},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
