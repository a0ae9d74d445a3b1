"""What the figures depend on: the machine, and what else was busy on it."""

import asyncio
import os
import platform
import socket
import time
from pathlib import Path
from typing import Any

from bench.chaos.infra import OwnInfra
from bench.chaos.services import Services
from bench.procstat import (
    CORES,
    Labeller,
    commit_described,
    everyone_labeller,
    machine_memory_gib,
    sampled,
    short_command,
)


async def header(infra: OwnInfra) -> dict[str, Any]:
    async with sampled(everyone_labeller, interval_s=3.0) as before:
        await asyncio.sleep(3)
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "host": socket.gethostname(),
        "cpu_cores": CORES,
        "memory_gib": machine_memory_gib(),
        "load_average": os.getloadavg(),
        "python": platform.python_version(),
        "commit": commit_described(),
        "postgres_port": infra.pg_port,
        "kafka": infra.kafka,
        "busy_before": before.lines(8),
    }


def chaos_labeller(services: Services, infra: OwnInfra) -> Labeller:
    """This run's processes by name (their pids change as they are restarted), its
    PostgreSQL (the postmaster and its children) and its broker; anyone else's process as
    "other: <command>", which is what else was running."""
    me = os.getpid()
    broker_config = str(infra.run_dir / "kafka" / "server.properties")
    postmaster = {"pid": 0, "read_at": 0.0}

    def current_postmaster() -> int:
        if time.monotonic() - postmaster["read_at"] > 1:
            try:
                postmaster["pid"] = infra.postmaster_pid()
            except Exception:
                postmaster["pid"] = 0
            postmaster["read_at"] = time.monotonic()
        return int(postmaster["pid"])

    def label(pid: int, comm: str, cmdline: str) -> str | None:
        for name, process in services.processes.items():
            if process.pid == pid:
                return name
        if pid == me:
            return "chaos (this process)"
        if "kafka.Kafka" in cmdline:
            return "kafka broker" if broker_config in cmdline else "other: kafka broker (shared)"
        if comm == "postgres" or cmdline.startswith("postgres"):
            ours = current_postmaster()
            if ours and (pid == ours or _parent(pid) == ours):
                return "postgres"
            return "other: postgres (shared server)"
        return f"other: {short_command(comm, cmdline)}"

    return label


def _parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[1])
    except (OSError, IndexError, ValueError):
        return 0
