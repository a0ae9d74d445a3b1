"""Who used the CPU during a case: per-process CPU time and memory from /proc.

`ps -o pcpu` averages over a process's whole life; this samples CPU time every interval
instead, so each figure is what the process used during the case. PostgreSQL backends are
told apart by the database they serve (their command line names it), which attributes the
server's work to the service that asked for it.
"""

import asyncio
import contextlib
import functools
import os
import re
import subprocess
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
CORES = os.cpu_count() or 1

Labeller = Callable[[int, str, str], str | None]  # (pid, comm, cmdline) -> label or None


def cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def memory_kib(pid: int, key: str = "VmRSS") -> int | None:
    """A `/proc/<pid>/status` memory line in KiB (VmRSS now, VmHWM the peak so far)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


def machine_busy_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, over all cores."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    total = sum(values[:8])  # without guest time, which is already counted in user
    return (total - idle) / CLOCK_TICKS, total / CLOCK_TICKS


def machine_memory_gib() -> float:
    return round(int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024, 1)


def processes() -> list[tuple[int, str, str]]:
    """(pid, comm, cmdline) of every process we can read."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            comm = Path(entry.path, "comm").read_text().strip()
            cmdline = Path(entry.path, "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        found.append((int(entry.name), comm, cmdline.strip()))
    return found


def short_command(comm: str, cmdline: str, width: int = 48) -> str:
    """e.g. "python -m enrolment" or "pytest cli/tests -q", for an unknown process."""
    words = cmdline.split()
    if not words:
        return "[kernel threads]"  # kworkers and the like, whose names change as they work
    program = words[0].rpartition("/")[2]
    return " ".join([program, *words[1:]])[:width]


def everyone_labeller(pid: int, comm: str, cmdline: str) -> str:
    command = short_command(comm, cmdline)
    return command if command.startswith("[") else f"{pid} {command}"


@functools.cache
def _broker_port(pid: int, cmdline: str) -> str | None:
    """The client port of a broker started by `deploy/local/kafka.sh` (from its config)."""
    config = cmdline.split()[-1]
    try:
        found = re.search(r"^listeners=PLAINTEXT://[^:]+:(\d+)", Path(config).read_text(), re.M)
    except OSError:
        return None
    return found.group(1) if found else None


def standard_labeller(
    own: dict[int, str], databases: dict[str, str] | None = None, kafka: str = ""
) -> Labeller:
    """Label our own processes by name, the Kafka broker at `kafka`, and PostgreSQL by the
    database served (`databases`: database name -> label); any other process as
    "other: <its command>", so what ran beside a case shows too."""
    databases = databases or {}
    me = os.getpid()
    kafka_port = kafka.rpartition(":")[2]

    def label(pid: int, comm: str, cmdline: str) -> str | None:
        if pid in own:
            return own[pid]
        if pid == me:
            return "bench (this process)"
        if "kafka.Kafka" in cmdline:
            port = _broker_port(pid, cmdline)
            return "kafka broker" if port == kafka_port else f"other: kafka broker on {port}"
        if comm == "postgres" or cmdline.startswith("postgres"):
            # e.g. "postgres: postgres bench_1a2b_enrolment 127.0.0.1(51234) idle"
            words = cmdline.split()
            if len(words) >= 3 and words[0] == "postgres:" and words[2] in databases:
                return f"postgres ({databases[words[2]]})"
            return "postgres (other databases, background)"
        return f"other: {short_command(comm, cmdline)}"

    return label


@dataclass
class CpuUsage:
    """What a sampled interval measured: CPU seconds per label, peak memory per label."""

    seconds: float = 0.0
    cpu_s: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    peak_pct: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    peak_rss_kib: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    machine_busy_s: float = 0.0
    samples: list[dict[str, float]] = field(default_factory=list)  # % of a core per label

    def percent(self, label: str) -> float:
        """Average CPU over the interval, in % of one core (200% = both cores of two)."""
        return 100 * self.cpu_s.get(label, 0.0) / self.seconds if self.seconds else 0.0

    @property
    def machine_percent(self) -> float:
        return 100 * self.machine_busy_s / self.seconds if self.seconds else 0.0

    def top(self, count: int = 8) -> list[tuple[str, float, float, int]]:
        """(label, average %, peak %, peak RSS KiB), busiest first."""
        labels = sorted(self.cpu_s, key=lambda label: -self.cpu_s[label])[:count]
        return [
            (label, self.percent(label), self.peak_pct[label], self.peak_rss_kib[label])
            for label in labels
        ]

    def lines(self, count: int = 8) -> list[str]:
        labelled = sum(self.cpu_s.values())
        other = max(0.0, self.machine_busy_s - labelled)
        lines = [
            f"machine busy {self.machine_percent:.0f}% of {CORES * 100}% "
            f"over {self.seconds:.1f}s (processes gone before a sample: "
            f"{100 * other / self.seconds if self.seconds else 0:.0f}%)"
        ]
        lines += [
            f"  {label:<48} avg {avg:4.0f}%  peak {peak:4.0f}%  rss {rss / 1024:5.0f} MiB"
            for label, avg, peak, rss in self.top(count)
            if avg >= 0.5
        ]
        return lines

    def as_dict(self) -> dict[str, object]:
        return {
            "seconds": self.seconds,
            "machine_percent": self.machine_percent,
            "processes": [
                {"label": label, "avg_pct": avg, "peak_pct": peak, "peak_rss_kib": rss}
                for label, avg, peak, rss in self.top(50)
            ],
            "samples": self.samples,
        }


def ps_snapshot(labeller: Labeller) -> str:
    """`ps -o pid,pcpu,rss,cmd` of the labelled processes (pcpu: over each one's life)."""
    pids = [
        str(pid)
        for pid, comm, cmdline in processes()
        if not (labeller(pid, comm, cmdline) or "other:").startswith("other:")
    ]
    result = subprocess.run(  # noqa: S603
        ["ps", "-o", "pid,pcpu,rss,cmd", "-p", ",".join(pids)],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    return "\n".join(line[:160] for line in result.stdout.splitlines())


def _snapshot(labeller: Labeller) -> dict[int, tuple[str, float, int]]:
    snapshot = {}
    for pid, comm, cmdline in processes():
        label = labeller(pid, comm, cmdline)
        if label is None:
            continue
        cpu = cpu_seconds(pid)
        if cpu is not None:
            snapshot[pid] = (label, cpu, memory_kib(pid) or 0)
    return snapshot


@asynccontextmanager
async def sampled(labeller: Labeller, interval_s: float = 1.0) -> AsyncIterator[CpuUsage]:
    """Sample CPU use while the block runs; the usage is complete when the block exits."""
    usage = CpuUsage()
    started = previous_at = time.monotonic()
    previous = _snapshot(labeller)
    busy_start, _ = machine_busy_seconds()

    def tick() -> None:
        nonlocal previous, previous_at
        now = time.monotonic()
        current = _snapshot(labeller)
        elapsed = now - previous_at
        interval: dict[str, float] = defaultdict(float)
        for pid, (label, cpu, rss) in current.items():
            before = previous.get(pid)
            # Every process is seen at every sample: one not seen before was born during
            # the interval, and all its CPU time so far was spent in it.
            delta = cpu - before[1] if before else cpu
            interval[label] += max(0.0, delta)
            usage.peak_rss_kib[label] = max(usage.peak_rss_kib[label], rss)
        for label, cpu_s in interval.items():
            usage.cpu_s[label] += cpu_s
            pct = 100 * cpu_s / elapsed if elapsed > 0 else 0.0
            usage.peak_pct[label] = max(usage.peak_pct[label], pct)
        usage.samples.append(
            {"t": round(now - started, 2)}
            | {k: round(100 * v / elapsed, 1) for k, v in interval.items() if elapsed > 0}
        )
        previous, previous_at = current, now

    async def loop() -> None:
        while True:
            await asyncio.sleep(interval_s)
            tick()

    task = asyncio.create_task(loop())
    try:
        yield usage
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        tick()
        usage.seconds = time.monotonic() - started
        usage.machine_busy_s = machine_busy_seconds()[0] - busy_start


def commit_described() -> str:
    """The commit a run measured, "(dirty)" when tracked files differ from it."""

    def git(*args: str) -> str:
        result = subprocess.run(  # noqa: S603
            ["git", *args],  # noqa: S607
            cwd=Path(__file__).resolve().parents[1],
            capture_output=True,
            text=True,
            check=False,
        )
        return result.stdout.strip()

    dirty = git("status", "--porcelain", "--untracked-files=no")
    return git("rev-parse", "--short", "HEAD") + (" (dirty)" if dirty else "")
