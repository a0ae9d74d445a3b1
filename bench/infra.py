"""Isolated, throw-away infrastructure for the cases.

Every stack gets fresh databases (CREATE DATABASE on the local server), its own Kafka topic
prefix, free ports and a temporary run directory, exactly as the end-to-end tests run one;
everything is stopped, dropped and deleted on the way out, whatever happened.
"""

import asyncio
import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
from aiokafka.admin import AIOKafkaAdminClient
from enrolment.tenants import ensure_tenant
from onboarding_devtools.devstack import (
    REPLICATED,
    SERVICES,
    StackConfig,
    replica_name,
    start_processes,
    stop_processes,
    wait_ready,
)
from onboarding_kit.sealing import new_key

from bench.procstat import Labeller, standard_labeller
from bench.settings import REPO_ROOT, BenchSettings

Processes = dict[str, subprocess.Popen[bytes]]
Probe = Callable[[], Awaitable[tuple[bool, str]]]  # -> (done, a progress text)


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in sockets]
    finally:
        for s in sockets:
            s.close()


SMTP_SINK_SCRIPT = REPO_ROOT / "deploy" / "local" / "smtp-sink.sh"
# Where Postfix's smtp-sink writes its running count, inside the mail directory, so that
# one directory answers "how many messages were accepted" whichever sink runs.
COUNTER_FILE = "accepted.counter"
_LAST_COUNTS = re.compile(rb"mesg=(\d+)\r")


def count_mail(directory: Path) -> int:
    """Messages the sink in `directory` accepted: smtp-sink's last count when it runs
    there, else the aiosmtpd sink's `.eml` files (a message being written is a dot-file)."""
    counter = directory / COUNTER_FILE
    if counter.exists():
        return last_count(counter)
    try:
        with os.scandir(directory) as entries:
            return sum(1 for e in entries if e.name.endswith(".eml"))
    except FileNotFoundError:
        return 0


def last_count(counter: Path) -> int:
    """The last complete `mesg=N` record of smtp-sink's `-c` output ("sess=S quit=Q
    mesg=N\\r" per event): only the file's end is read, however long the run."""
    with counter.open("rb") as file:
        size = file.seek(0, os.SEEK_END)
        file.seek(max(0, size - 256))
        counts = _LAST_COUNTS.findall(file.read())
    return int(counts[-1]) if counts else 0


def smtp_command(smtp: str, directory: Path, port: int) -> tuple[str, ...]:
    """The command of the chosen mail server (devstack's StackConfig.smtp_command): empty
    for the aiosmtpd sink, which devstack runs itself."""
    if smtp == "aiosmtpd":
        return ()
    return (
        "bash",
        "-c",
        'mkdir -p "$1" && exec "$2" run "$3" >"$1/$4"',
        "smtp-sink",
        str(directory),
        str(SMTP_SINK_SCRIPT),
        str(port),
        COUNTER_FILE,
    )


def new_run_id() -> str:
    return uuid.uuid4().hex[:8]


class Databases:
    """Creates databases on the server and drops every one of them at the end."""

    def __init__(self, server_url: str, run_id: str) -> None:
        self.server_url = server_url
        self.run_id = run_id
        self.created: list[str] = []

    def url(self, name: str) -> str:
        base, _, _ = self.server_url.rpartition("/")
        return f"{base}/{name}"

    async def create(self, label: str) -> str:
        name = f"bench_{self.run_id}_{label}"
        conn = await asyncpg.connect(self.server_url)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        self.created.append(name)
        return self.url(name)

    async def drop_all(self) -> None:
        conn = await asyncpg.connect(self.server_url)
        try:
            for name in reversed(self.created):
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()
        self.created.clear()


@asynccontextmanager
async def fresh_database(settings: BenchSettings, label: str) -> AsyncIterator[str]:
    """A new empty database (its URL), dropped on the way out."""
    databases = Databases(settings.postgres_url, new_run_id())
    try:
        yield await databases.create(label)
    finally:
        await databases.drop_all()


def database_name(url: str) -> str:
    return url.rpartition("/")[2]


async def delete_topics(bootstrap_servers: str, prefix: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        names = [t for t in await admin.list_topics() if t.startswith(prefix)]
        if names:
            await admin.delete_topics(names)
    finally:
        await admin.close()


@dataclass
class Stack:
    """The four services and the SMTP sink, running, with a tenant to call them as."""

    config: StackConfig
    processes: Processes
    api_key: str
    run_id: str

    def pid(self, name: str) -> int:
        return self.processes[name].pid

    def admin(self, timeout_s: float = 30) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.config.url("enrolment"),
            headers={"Authorization": f"Bearer {self.api_key}"},
            timeout=timeout_s,
        )

    def labeller(self) -> Labeller:
        databases = {database_name(url): s for s, url in self.config.database_urls.items()}
        own = {p.pid: n for n, p in self.processes.items()}
        return standard_labeller(own, databases, self.config.kafka_bootstrap_servers)

    def pause(self, *names: str) -> None:
        """Freeze processes (SIGSTOP), e.g. to measure one service without the others."""
        for name in names:
            os.kill(self.pid(name), signal.SIGSTOP)

    def resume(self, *names: str) -> None:
        for name in names:
            if self.processes[name].poll() is None:
                os.kill(self.pid(name), signal.SIGCONT)

    def check_alive(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise RuntimeError(
                    f"{name} exited with {process.returncode}; "
                    f"see {self.config.run_dir / 'logs' / (name + '.log')}"
                )


async def ensure_course(client: httpx.AsyncClient, code: str) -> None:
    """Create the course where the API has courses; before it does, any code is accepted."""
    response = await client.post("/v1/courses", json={"code": code, "title": f"Bench {code}"})
    if response.status_code in (404, 405, 409):  # no such route yet, or the course exists
        return
    response.raise_for_status()


@asynccontextmanager
async def running_stack(
    settings: BenchSettings,
    name: str,
    *,
    replicas: int = 1,
    extra_env: dict[str, str] | None = None,
) -> AsyncIterator[Stack]:
    """Start an isolated stack (with `replicas` processes of each service in REPLICATED);
    on the way out stop it, drop its databases, delete its topics and its run directory
    (its logs are copied to the results directory first)."""
    run_id = new_run_id()
    databases = Databases(settings.postgres_url, run_id)
    run_dir = Path(tempfile.mkdtemp(prefix=f"onboarding-bench-{name}-"))
    prefix = f"bench.{run_id}."
    names = [*SERVICES, *(replica_name(s, n) for s in REPLICATED for n in range(2, replicas + 1))]
    processes: Processes = {}
    try:
        *service_ports, smtp_port, sms_port = free_ports(len(names) + 2)
        config = StackConfig(
            run_dir=run_dir,
            database_urls={s: await databases.create(s) for s in SERVICES},
            kafka_bootstrap_servers=settings.kafka,
            invitation_link_key=new_key(),
            internal_api_token=secrets.token_urlsafe(32),
            ports=dict(zip(names, service_ports, strict=True)),
            smtp_port=smtp_port,
            smtp_command=smtp_command(settings.smtp, run_dir / "mail", smtp_port),  # its mail_dir
            sms_port=sms_port,
            topic_prefix=prefix,
            extra_env=dict(extra_env or {}),
            replicas=replicas,
        )
        processes = start_processes(config)
        await wait_ready(config, processes, timeout_s=120)
        api_key = f"onb_{secrets.token_urlsafe(32)}"
        await ensure_tenant(config.database_urls["enrolment"], "bench", api_key)
        yield Stack(config, processes, api_key, run_id)
    finally:
        for process in processes.values():  # a frozen process cannot act on SIGTERM
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(process.pid, signal.SIGCONT)
        await asyncio.to_thread(stop_processes, processes)
        logs = run_dir / "logs"
        if logs.exists():
            shutil.copytree(logs, settings.results_dir / f"{name}-logs", dirs_exist_ok=True)
        with contextlib.suppress(Exception):
            await delete_topics(settings.kafka, prefix)
        await databases.drop_all()
        await asyncio.to_thread(shutil.rmtree, run_dir, True)


@dataclass
class Sink:
    """A fresh mail server process of its own (`smtp`: which one, as in BenchSettings)."""

    process: subprocess.Popen[bytes]
    port: int
    directory: Path


@asynccontextmanager
async def smtp_sink(
    settings: BenchSettings, name: str, smtp: str | None = None
) -> AsyncIterator[Sink]:
    """The mail server `smtp` (default: the settings' one) on a free port."""
    run_dir = Path(tempfile.mkdtemp(prefix=f"onboarding-bench-{name}-"))
    port = free_ports(1)[0]
    directory = run_dir / "mail"
    command = smtp_command(smtp or settings.smtp, directory, port) or _aiosmtpd_command(
        directory, port
    )
    process = _start_sink(command, run_dir / "smtp-sink.log")
    try:
        await _wait_for_port(port, process)
        yield Sink(process, port, directory)
    finally:
        await asyncio.to_thread(stop_processes, {"smtp-sink": process})
        await asyncio.to_thread(shutil.rmtree, run_dir, True)


def _aiosmtpd_command(directory: Path, port: int) -> tuple[str, ...]:
    return (
        sys.executable,
        "-m",
        "onboarding_devtools.smtp_sink",
        "--dir",
        str(directory),
        "--port",
        str(port),
    )


def _start_sink(command: tuple[str, ...], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as output:
        return subprocess.Popen(  # noqa: S603
            command,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


async def _wait_for_port(
    port: int, process: subprocess.Popen[bytes], timeout_s: float = 30
) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the SMTP sink exited with {process.returncode}")
        with contextlib.suppress(OSError):
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"the SMTP sink did not listen on {port} within {timeout_s}s")
        await asyncio.sleep(0.1)


async def wait_until(
    what: str,
    probe: Probe,
    *,
    timeout_s: float,
    interval_s: float = 0.5,
    stack: Stack | None = None,
    progress_every_s: float = 15,
) -> float:
    """Poll until `probe()` says done; return the seconds it took. Prints progress now and
    then so a long case shows it is alive, and fails early if a service died."""
    started = last_report = time.monotonic()
    while True:
        done, progress = await probe()
        now = time.monotonic()
        if done:
            return now - started
        if stack is not None:
            stack.check_alive()
        if now - started > timeout_s:
            raise TimeoutError(f"{what}: not done after {timeout_s:.0f}s ({progress})")
        if now - last_report >= progress_every_s:
            print(f"    … {what}: {progress} after {now - started:.0f}s", flush=True)
            last_report = now
        await asyncio.sleep(interval_s)
