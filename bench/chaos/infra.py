"""A PostgreSQL and a Kafka broker of the run's own, started by `deploy/local/*.sh`.

Both scripts keep everything under `RUN_DIR` (the cluster in `$RUN_DIR/pg`, the broker's
jars, config, data, log and pid file in `$RUN_DIR/kafka`) and listen on the ports they are
given, so with a run directory and free ports of its own nothing is shared with the servers
other people use (`.run/pg` on 55432, `.run/kafka` on 9092). The processes this module
signals are found through those scripts' own files (the postmaster's `postmaster.pid`, the
broker's `kafka.pid`), and each is checked to be serving this run's directory before it is.
"""

import contextlib
import hashlib
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from onboarding_devtools.devstack import SERVICES

from bench.settings import REPO_ROOT

SCRIPTS = REPO_ROOT / "deploy" / "local"
KAFKA_POM = SCRIPTS / "kafka" / "pom.xml"
SHARED_KAFKA_LIBS = REPO_ROOT / ".run" / "kafka" / "libs"  # read only: jars to link to


class InfraError(RuntimeError):
    pass


@dataclass
class OwnInfra:
    run_dir: Path  # RUN_DIR of both scripts
    pg_port: int
    kafka_port: int
    kafka_controller_port: int

    @property
    def kafka(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"

    def database_url(self, name: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.pg_port}/{name}"

    @property
    def log_dir(self) -> Path:
        return self.run_dir / "infra-logs"

    # --- starting and stopping, through the scripts ---------------------------------------

    def start_postgres(self) -> None:
        self._script("postgres.sh", "start", timeout_s=180)

    def start_kafka(self) -> None:
        self._link_kafka_jars()
        self._script("kafka.sh", "start", timeout_s=300)

    def stop(self) -> list[str]:
        """Stop both servers (each script stops only what its own files name); what could
        not be done, as text."""
        problems = []
        for script in ("kafka.sh", "postgres.sh"):
            try:
                self._script(script, "stop", timeout_s=90)
            except Exception as error:
                problems.append(f"{script} stop: {error}")
        # A stop that timed out leaves a process: end it by the pid its own file names.
        for find in (self.kafka_pid, self.postmaster_pid):
            with contextlib.suppress(InfraError, ProcessLookupError):
                pid = find()
                os.kill(pid, signal.SIGKILL)
                problems.append(f"pid {pid} had to be killed")
        return problems

    def remove(self) -> None:
        """Delete the run directory, and the cluster's directory in /tmp where the script
        had to put it (a root-run server user that cannot reach RUN_DIR)."""
        pg = self.run_dir / "pg"
        if pg.is_symlink():
            target = pg.resolve()
            if str(target).startswith("/tmp/pg-"):  # noqa: S108 - the script's own fallback
                shutil.rmtree(target, ignore_errors=True)
        shutil.rmtree(self.run_dir, ignore_errors=True)

    # --- the faults ------------------------------------------------------------------------

    def kill_kafka(self) -> int:
        """SIGKILL the broker; returns its pid once it is gone."""
        pid = self.kafka_pid()
        os.kill(pid, signal.SIGKILL)
        _wait_gone(pid, timeout_s=30)
        return pid

    def crash_postgres(self) -> int:
        """Immediate shutdown, as `pg_ctl stop -m immediate` does it (SIGQUIT to the
        postmaster): every backend quits at once, nothing is checkpointed, and the next
        start runs crash recovery. Returns the postmaster's pid once it is gone."""
        pid = self.postmaster_pid()
        os.kill(pid, signal.SIGQUIT)
        _wait_gone(pid, timeout_s=60)
        return pid

    def kafka_pid(self) -> int:
        pid_file = self.run_dir / "kafka" / "kafka.pid"
        try:
            pid = int(pid_file.read_text().strip())
        except (OSError, ValueError) as error:
            raise InfraError(f"no broker pid in {pid_file}") from error
        config = str(self.run_dir / "kafka" / "server.properties")
        if not _alive(pid) or config not in _cmdline(pid) or "kafka.Kafka" not in _cmdline(pid):
            raise InfraError(f"pid {pid} from {pid_file} is not this run's broker")
        return pid

    def postmaster_pid(self) -> int:
        data = (self.run_dir / "pg").resolve() / "data"
        try:
            pid = int((data / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError) as error:
            raise InfraError(f"no postmaster.pid in {data}") from error
        if not _alive(pid) or str(data) not in _cmdline(pid):
            raise InfraError(f"pid {pid} is not the postmaster of {data}")
        return pid

    # --- helpers ---------------------------------------------------------------------------

    def _script(self, script: str, command: str, *, timeout_s: float) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "RUN_DIR": str(self.run_dir),
            "PG_PORT": str(self.pg_port),
            "PG_DATABASES": " ".join(SERVICES),
            "KAFKA_PORT": str(self.kafka_port),
            "KAFKA_CONTROLLER_PORT": str(self.kafka_controller_port),
        }
        with (self.log_dir / f"{script}.log").open("ab") as log:
            log.write(f"\n=== {time.strftime('%H:%M:%S')} {script} {command}\n".encode())
            log.flush()
            try:
                done = subprocess.run(  # noqa: S603
                    [str(SCRIPTS / script), command],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    timeout=timeout_s,
                    check=False,
                )
            except subprocess.TimeoutExpired as error:
                raise InfraError(f"{script} {command}: not done after {timeout_s:.0f}s") from error
        if done.returncode != 0:
            tail = (self.log_dir / f"{script}.log").read_text(errors="replace")[-2000:]
            raise InfraError(f"{script} {command} exited with {done.returncode}:\n{tail}")

    def _link_kafka_jars(self) -> None:
        """The broker's classpath, hard-linked from the shared `.run/kafka/libs` when that
        was built from the same pom (else the script resolves it with Maven, slower)."""
        libs = self.run_dir / "kafka" / "libs"
        stamp = SHARED_KAFKA_LIBS / ".pom.sha256"
        if libs.exists() or not stamp.exists():
            return
        want = hashlib.sha256(KAFKA_POM.read_bytes()).hexdigest()
        if stamp.read_text().strip() != want:
            return
        libs.parent.mkdir(parents=True, exist_ok=True)
        try:
            shutil.copytree(SHARED_KAFKA_LIBS, libs, copy_function=os.link)
        except OSError:  # another file system: copy
            shutil.rmtree(libs, ignore_errors=True)
            shutil.copytree(SHARED_KAFKA_LIBS, libs)


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _wait_gone(pid: int, *, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while _alive(pid):
        if time.monotonic() > deadline:
            raise InfraError(f"pid {pid} still alive {timeout_s:.0f}s after the signal")
        time.sleep(0.05)
