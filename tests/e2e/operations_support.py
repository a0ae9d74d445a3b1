"""What the operations tests need around the running stack: a Prometheus of their own
scraping the four services (started by deploy/local/prometheus.sh), the services' processes
found by what they were started with (to freeze one, or to restart it with other settings),
the `onboard` CLI run as an operator runs it, and import files of many people."""

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from onboarding_devtools.devstack import SECRET_VARIABLES, SERVICES
from onboarding_devtools.testing.stack import RunningStack, free_ports

REPO_ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS_SCRIPT = REPO_ROOT / "deploy" / "local" / "prometheus.sh"
ONBOARD = Path(sys.executable).parent / "onboard"


# --- Prometheus -------------------------------------------------------------------------


@dataclass(frozen=True)
class StackPrometheus:
    """A Prometheus scraping the stack's four services, read through its HTTP API."""

    url: str

    async def query(self, expression: str) -> list[dict[str, Any]]:
        """The instant vector `expression` selects now."""
        async with httpx.AsyncClient(timeout=10) as http:
            answer = await http.get(f"{self.url}/api/v1/query", params={"query": expression})
        assert answer.status_code == 200, f"{expression}: {answer.text}"
        result: list[dict[str, Any]] = answer.json()["data"]["result"]
        return result

    async def values(self, expression: str, by: str) -> dict[str, float]:
        """Each series' value, keyed by its label `by`."""
        return {
            series["metric"].get(by, ""): float(series["value"][1])
            for series in await self.query(expression)
        }

    async def firing(self, alert: str, **labels: str) -> list[dict[str, str]]:
        """The labels of each firing alert of this name that has these labels."""
        matchers = "".join(f',{name}="{value}"' for name, value in labels.items())
        found = await self.query(f'ALERTS{{alertname="{alert}",alertstate="firing"{matchers}}}')
        return [series["metric"] for series in found]


def _prometheus_script(run_dir: Path, command: str, env: dict[str, str]) -> None:
    done = subprocess.run(
        [str(PROMETHEUS_SCRIPT), command],
        env={**os.environ, "RUN_DIR": str(run_dir), **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, f"prometheus.sh {command}: {done.stderr}"


@contextlib.contextmanager
def prometheus_scraping(stack: RunningStack, run_dir: Path) -> Iterator[StackPrometheus]:
    """A Prometheus on a free port scraping each service of `stack` under its name, with
    the repository's recording and alert rules; stopped at the end."""
    (port,) = free_ports(1)
    targets = " ".join(f"{service}=127.0.0.1:{stack.config.ports[service]}" for service in SERVICES)
    env = {"PROMETHEUS_PORT": str(port), "PROMETHEUS_TARGETS": targets}
    _prometheus_script(run_dir, "start", env)
    try:
        yield StackPrometheus(f"http://127.0.0.1:{port}")
    finally:
        _prometheus_script(run_dir, "stop", env)


# --- the services' processes ------------------------------------------------------------


def _environment(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    pairs = (entry.split(b"=", 1) for entry in raw.split(b"\0") if b"=" in entry)
    return {key.decode(errors="replace"): value.decode(errors="replace") for key, value in pairs}


def _alive(pid: int) -> bool:
    """Running, or stopped, but neither gone nor a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def service_pid(stack: RunningStack, service: str) -> int:
    """The pid of `service` in `stack`: the `python -m <service>` process started with this
    stack's topic prefix and the service's port."""
    wanted = {
        "KAFKA_TOPIC_PREFIX": stack.config.topic_prefix,
        "HTTP_PORT": str(stack.config.ports[service]),
    }
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
            if command[1:3] != [b"-m", service.encode()] or not _alive(pid):
                continue
            environment = _environment(pid)
        except (FileNotFoundError, PermissionError, ProcessLookupError):
            continue
        if all(environment.get(name) == value for name, value in wanted.items()):
            found.append(pid)
    assert len(found) == 1, f"{service}: processes {found}"
    return found[0]


@contextlib.contextmanager
def frozen(pid: int) -> Iterator[None]:
    """The process stopped (SIGSTOP) for the block, and always let go on (SIGCONT) after."""
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


async def _ready(url: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(timeout=2) as http:
        while True:
            with contextlib.suppress(httpx.TransportError):
                if (await http.get(f"{url}/readyz")).status_code == 200:
                    return
            assert time.monotonic() < deadline, f"{url} not ready after {timeout_s}s"
            await asyncio.sleep(0.2)


async def _ended(pid: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while _alive(pid):
        assert time.monotonic() < deadline, f"pid {pid} still running after {timeout_s}s"
        await asyncio.sleep(0.1)


def _start(stack: RunningStack, service: str, settings: dict[str, str]) -> subprocess.Popen[bytes]:
    config = stack.config
    inherited = {k: v for k, v in os.environ.items() if k not in SECRET_VARIABLES}
    with (config.run_dir / "logs" / f"{service}.log").open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", service],
            env={**inherited, **config.service_env(service), **settings},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.asynccontextmanager
async def restarted(stack: RunningStack, service: str, **settings: str) -> AsyncIterator[None]:
    """`service` stopped as an operator stops it (SIGTERM) and started again on the same
    port with `settings` over its environment, logging where it did; the new process is
    stopped at the end."""
    pid = service_pid(stack, service)
    os.kill(pid, signal.SIGTERM)
    await _ended(pid, timeout_s=30)
    process = _start(stack, service, settings)
    try:
        await _ready(stack.url(service), timeout_s=90)
        yield
    finally:
        _stop(process)


# --- the CLI ----------------------------------------------------------------------------


async def onboard(
    stack: RunningStack, api_key: str, *args: str, cwd: Path
) -> subprocess.CompletedProcess[str]:
    """`onboard ARGS` as an operator runs it against `stack`: the services' URLs, the
    tenant's API key and the operations token from the environment, from a directory with
    no .run/env; wide enough that no table is cut."""
    env = {
        **{k: v for k, v in os.environ.items() if k not in SECRET_VARIABLES},
        **{f"{service.upper()}_URL": stack.url(service) for service in SERVICES},
        "ONBOARDING_API_KEY": api_key,
        "OPS_API_TOKEN": stack.config.ops_api_token,
        "COLUMNS": "250",
        "NO_COLOR": "1",
    }
    return await asyncio.to_thread(
        subprocess.run,
        [str(ONBOARD), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


# --- import files -----------------------------------------------------------------------


def people_csv(tag: str, rows: int) -> str:
    """An import file of `rows` people with addresses of their own (`tag` keeps files
    apart)."""
    lines = ["email,id,name\n"]
    lines += [f"person{n:06d}.{tag}@example.org,S{n:06d},Person {n:06d}\n" for n in range(rows)]
    return "".join(lines)
