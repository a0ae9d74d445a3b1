"""Runs the four services (and the SMTP sink) as local processes.

Used by `make up` / `make down` (detached, pid files under `.run/`) and by the end-to-end
tests (attached, fresh databases, their own topic prefix), so both start the system the
same way.

    python -m onboarding_devtools.devstack up      # start, wait until ready, write .run/env
    python -m onboarding_devtools.devstack up --replicas 2   # two invitation, two notification
    python -m onboarding_devtools.devstack down    # stop what `up` started
"""

import argparse
import asyncio
import base64
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

SERVICES = ("enrolment", "invitation", "notification", "registration")
DEFAULT_PORTS = {"enrolment": 8001, "invitation": 8002, "notification": 8003, "registration": 8004}
# The consumers whose work grows with the partitions they hold: these run as several
# processes in one consumer group when asked to. Enrolment and registration take HTTP
# requests first of all, and stay one process each.
REPLICATED = ("invitation", "notification")
# Where `make up` puts further replicas: 10 ports apart from the service's first one.
REPLICA_PORT_STEP = 10
LINK_KEY_HOLDERS = ("invitation", "notification")
INTERNAL_TOKEN_HOLDERS = ("invitation", "registration", "enrolment")
# The services that call the invitation service's internal API (redeem; resend).
INVITATION_CALLERS = ("registration", "enrolment")
# The services that tell people where to sign in (the welcome email, the credentials report).
SIGN_IN_LINKERS = ("notification", "enrolment")
# The local SMS provider's account: texts go to it, as they would to Twilio.
SMS_ACCOUNT_SID = "AC" + "0" * 32
SMS_FROM = "+15005550006"
SECRET_VARIABLES = (
    "SMS_AUTH_TOKEN",
    "INVITATION_LINK_KEY",
    "INTERNAL_API_TOKEN",
    "ONBOARDING_API_KEY",
    "OPS_API_TOKEN",
)


@dataclass(frozen=True)
class StackConfig:
    run_dir: Path
    database_urls: dict[str, str]
    kafka_bootstrap_servers: str
    invitation_link_key: str
    internal_api_token: str
    ops_api_token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    smtp_port: int = 2525
    # The SMTP server's command (it must listen on smtp_port); empty runs the aiosmtpd
    # sink, which keeps every message in mail_dir for the tests that read them.
    smtp_command: tuple[str, ...] = ()
    sms_port: int = 8099
    sms_auth_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    topic_prefix: str = ""
    log_level: str = "INFO"
    extra_env: dict[str, str] = field(default_factory=dict)
    # Processes of each service in REPLICATED; `ports` then names every one of them.
    replicas: int = 1

    def __post_init__(self) -> None:
        if self.replicas < 1:
            raise ValueError(f"replicas must be at least 1, not {self.replicas}")
        missing = [name for name in self.process_names() if name not in self.ports]
        if missing:
            raise ValueError(f"no port for {', '.join(missing)}")

    def process_names(self) -> list[str]:
        """The services' processes: each service, then the replicas after the first of
        those in REPLICATED (`notification-2`, ...), as named in logs and pid files."""
        names = list(SERVICES)
        for service in REPLICATED:
            names += [replica_name(service, n) for n in range(2, self.replicas + 1)]
        return names

    @property
    def mail_dir(self) -> Path:
        return self.run_dir / "mail"

    @property
    def sms_dir(self) -> Path:
        return self.run_dir / "sms"

    def url(self, name: str) -> str:
        """Where a process answers; a service's name is its first replica, which the other
        services call (invitation's redeem) and the SMS provider calls back."""
        return f"http://127.0.0.1:{self.ports[name]}"

    def service_env(self, name: str) -> dict[str, str]:
        """Each service process's environment: the common settings and only the secrets
        that service holds (the link key: invitation and notification; the internal token:
        invitation and the services calling it). Replicas differ only in their port."""
        service = service_of(name)
        env = {
            "DATABASE_URL": self.database_urls[service],
            "KAFKA_BOOTSTRAP_SERVERS": self.kafka_bootstrap_servers,
            "KAFKA_TOPIC_PREFIX": self.topic_prefix,
            "HTTP_PORT": str(self.ports[name]),
            "LOG_LEVEL": self.log_level,
            "OPS_API_TOKEN": self.ops_api_token,  # the operations API, in every service
        }
        if service in LINK_KEY_HOLDERS:
            env["INVITATION_LINK_KEY"] = self.invitation_link_key
        if service in INTERNAL_TOKEN_HOLDERS:
            env["INTERNAL_API_TOKEN"] = self.internal_api_token
        if service == "invitation":
            env["REGISTRATION_PUBLIC_URL"] = self.url("registration")
        if service in INVITATION_CALLERS:
            env["INVITATION_URL"] = self.url("invitation")
        if service in SIGN_IN_LINKERS:
            # The welcome email's sign-in link, the credentials report's address. No
            # education platform runs locally: the registration service stands in for its
            # sign-in page.
            env["SIGN_IN_URL"] = f"{self.url('registration')}/"
        if service == "notification":
            env |= {
                "SMTP_HOST": "127.0.0.1",
                "SMTP_PORT": str(self.smtp_port),
                "SMS_PROVIDER_URL": f"http://127.0.0.1:{self.sms_port}",
                "SMS_ACCOUNT_SID": SMS_ACCOUNT_SID,
                "SMS_AUTH_TOKEN": self.sms_auth_token,
                "SMS_FROM": SMS_FROM,
                "SMS_STATUS_CALLBACK_URL": f"{self.url('notification')}/v1/sms/status",
            }
        return {**env, **self.extra_env}


def replica_name(service: str, n: int) -> str:
    """`notification`, `notification-2`, ...: the first replica keeps the service's name."""
    return service if n == 1 else f"{service}-{n}"


def service_of(name: str) -> str:
    """The service a process (`notification-2`) is a replica of."""
    service, _, n = name.rpartition("-")
    return service if service in REPLICATED and n.isdigit() else name


def default_ports(replicas: int = 1) -> dict[str, int]:
    """`make up`'s ports: DEFAULT_PORTS, and REPLICA_PORT_STEP apart for further replicas."""
    ports = dict(DEFAULT_PORTS)
    for service in REPLICATED:
        for n in range(2, replicas + 1):
            ports[replica_name(service, n)] = DEFAULT_PORTS[service] + REPLICA_PORT_STEP * (n - 1)
    return ports


def new_secrets() -> dict[str, str]:
    return {
        "SMS_AUTH_TOKEN": secrets.token_urlsafe(24),
        "INVITATION_LINK_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        "INTERNAL_API_TOKEN": secrets.token_urlsafe(32),
        "ONBOARDING_API_KEY": f"onb_{secrets.token_urlsafe(32)}",
        "OPS_API_TOKEN": secrets.token_urlsafe(32),
    }


def start_processes(config: StackConfig) -> dict[str, subprocess.Popen[bytes]]:
    """Start the SMTP sink, the SMS provider and the four services, each logging to
    `.run/logs/<name>.log`."""
    logs = config.run_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    commands = {
        "smtp-sink": list(config.smtp_command)
        or [
            sys.executable,
            "-m",
            "onboarding_devtools.smtp_sink",
            "--dir",
            str(config.mail_dir),
            "--port",
            str(config.smtp_port),
        ],
        "sms-provider": [
            sys.executable,
            "-m",
            "onboarding_devtools.sms_provider",
            "--dir",
            str(config.sms_dir),
            "--port",
            str(config.sms_port),
            "--account-sid",
            SMS_ACCOUNT_SID,
        ],
        **{name: [sys.executable, "-m", service_of(name)] for name in config.process_names()},
    }
    services = config.process_names()
    processes = {}
    for name, command in commands.items():
        inherited = {k: v for k, v in os.environ.items() if k not in SECRET_VARIABLES}
        env = {**inherited, **(config.service_env(name) if name in services else {})}
        if name == "sms-provider":
            env["SMS_PROVIDER_AUTH_TOKEN"] = config.sms_auth_token
        with (logs / f"{name}.log").open("ab") as log:
            processes[name] = subprocess.Popen(  # noqa: S603
                command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
    return processes


async def wait_ready(
    config: StackConfig,
    processes: dict[str, subprocess.Popen[bytes]],
    timeout_s: float = 60,
) -> None:
    """Until every service process's /readyz says ready; fail early, with its log, if one
    dies."""
    deadline = time.monotonic() + timeout_s
    pending = set(config.process_names())
    async with httpx.AsyncClient(timeout=2) as http:
        while pending:
            for service in sorted(pending):
                if processes[service].poll() is not None:
                    raise RuntimeError(
                        f"{service} exited with {processes[service].returncode}:\n"
                        + _tail(config.run_dir / "logs" / f"{service}.log")
                    )
                try:
                    response = await http.get(f"{config.url(service)}/readyz")
                    if response.status_code == 200:
                        pending.discard(service)
                except httpx.TransportError:
                    pass
            if pending and time.monotonic() > deadline:
                raise TimeoutError(f"not ready after {timeout_s}s: {', '.join(sorted(pending))}")
            await asyncio.sleep(0.2)


def stop_processes(processes: dict[str, subprocess.Popen[bytes]]) -> None:
    for process in processes.values():
        if process.poll() is None:
            process.terminate()
    for process in processes.values():
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def _tail(path: Path, lines: int = 30) -> str:
    if not path.exists():
        return "(no log)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


# --- `make up` / `make down` -------------------------------------------------------------


def _read_env(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {k.strip(): v.strip() for k, v in pairs}


def _write_env(path: Path, values: dict[str, str]) -> None:
    """Write KEY=value lines readable by the owner alone, from the first byte on (the file
    is created with mode 0600, never world-readable for a moment)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an older file may have been created with a wider mode
    with os.fdopen(fd, "w") as file:
        file.write("".join(f"{k}={v}\n" for k, v in values.items()))


def up(run_dir: Path, pg_server_url: str, kafka: str, replicas: int = 1) -> None:
    secrets_file = run_dir / "secrets.env"
    stored = _read_env(secrets_file) or new_secrets()
    # A secrets file from before the operations API gets its token now.
    stored.setdefault("OPS_API_TOKEN", secrets.token_urlsafe(32))
    stored.setdefault("SMS_AUTH_TOKEN", secrets.token_urlsafe(24))
    _write_env(secrets_file, stored)
    base = pg_server_url.rstrip("/")
    config = StackConfig(
        run_dir=run_dir,
        database_urls={s: f"{base}/{s}" for s in SERVICES},
        kafka_bootstrap_servers=kafka,
        invitation_link_key=stored["INVITATION_LINK_KEY"],
        internal_api_token=stored["INTERNAL_API_TOKEN"],
        ops_api_token=stored["OPS_API_TOKEN"],
        sms_auth_token=stored["SMS_AUTH_TOKEN"],
        ports=default_ports(replicas),
        replicas=replicas,
    )
    down(run_dir)
    ports = (*config.ports.values(), config.smtp_port, config.sms_port)
    busy = [port for port in ports if _port_in_use(port)]
    if busy:
        raise SystemExit(
            f"port(s) {', '.join(map(str, busy))} on 127.0.0.1 are in use: is another stack "
            "running? Stop it (`make down` in its checkout) and try again."
        )
    started = time.monotonic()
    processes = start_processes(config)
    pids = run_dir / "pids"
    pids.mkdir(exist_ok=True)
    for name, process in processes.items():
        (pids / f"{name}.pid").write_text(str(process.pid))
    try:
        asyncio.run(wait_ready(config, processes))
    except Exception:
        down(run_dir)
        raise
    ready_s = time.monotonic() - started
    subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-m",
            "enrolment.tenants",
            "demo",
            "--api-key",
            stored["ONBOARDING_API_KEY"],
        ],
        env={**os.environ, "DATABASE_URL": config.database_urls["enrolment"]},
        check=True,
        stdout=subprocess.DEVNULL,
    )
    _write_env(
        run_dir / "env",
        {
            "ENROLMENT_URL": config.url("enrolment"),
            "INVITATION_URL": config.url("invitation"),
            "NOTIFICATION_URL": config.url("notification"),
            "REGISTRATION_URL": config.url("registration"),
            "ONBOARDING_API_KEY": stored["ONBOARDING_API_KEY"],
            "OPS_API_TOKEN": config.ops_api_token,
            "MAIL_DIR": str(config.mail_dir),
            "SMS_DIR": str(config.sms_dir),
            "PROMETHEUS_URL": f"http://127.0.0.1:{os.environ.get('PROMETHEUS_PORT', '9090')}",
            "PROMETHEUS_TARGETS": prometheus_targets(config),
        },
    )
    print(f"services ready in {ready_s:.1f}s; connection details in {run_dir / 'env'}")


def prometheus_targets(config: StackConfig) -> str:
    """Every process, as deploy/local/prometheus.sh takes them ("service=host:port ..."):
    the replicas of a service share its `service` label and differ in `instance`."""
    return " ".join(
        f"{service_of(name)}=127.0.0.1:{config.ports[name]}" for name in config.process_names()
    )


def down(run_dir: Path) -> None:
    pids = run_dir / "pids"
    if not pids.exists():
        return
    for pid_file in pids.glob("*.pid"):
        pid = int(pid_file.read_text())
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            pid_file.unlink()
            continue
        for _ in range(150):
            if not _alive(pid):
                break
            time.sleep(0.1)
        else:
            os.killpg(pid, signal.SIGKILL)
        pid_file.unlink()


def _port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return status not in ("Z", "X")  # a zombie has exited


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["up", "down"])
    parser.add_argument("--run-dir", type=Path, default=Path(".run"))
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:55432")
    parser.add_argument("--kafka", default="127.0.0.1:9092")
    parser.add_argument(
        "--replicas",
        type=int,
        default=1,
        help=f"processes of each of {', '.join(REPLICATED)}, in one consumer group (default 1)",
    )
    args = parser.parse_args()
    run_dir = args.run_dir.resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    if args.command == "up":
        up(run_dir, args.postgres, args.kafka, args.replicas)
    else:
        down(run_dir)


if __name__ == "__main__":
    main()
