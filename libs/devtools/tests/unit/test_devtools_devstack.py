"""The local stack hands each service only its own secrets, and never leaves them readable;
several processes of invitation and notification: their names, ports and environment."""

import stat
from pathlib import Path

import pytest
from onboarding_devtools.devstack import (
    SERVICES,
    StackConfig,
    _write_env,
    default_ports,
    prometheus_targets,
    service_of,
)


def config(tmp_path: Path, replicas: int = 1) -> StackConfig:
    return StackConfig(
        run_dir=tmp_path,
        database_urls={s: f"postgresql://db/{s}" for s in SERVICES},
        kafka_bootstrap_servers="127.0.0.1:9092",
        invitation_link_key="the-link-key",
        internal_api_token="the-internal-token",
        ports=default_ports(replicas),
        replicas=replicas,
    )


def test_only_invitation_and_notification_hold_the_link_key(tmp_path: Path) -> None:
    holders = {s for s in SERVICES if "INVITATION_LINK_KEY" in config(tmp_path).service_env(s)}
    assert holders == {"invitation", "notification"}


def test_only_invitation_and_its_callers_hold_the_internal_token(tmp_path: Path) -> None:
    env = config(tmp_path).service_env
    holders = {s for s in SERVICES if "INTERNAL_API_TOKEN" in env(s)}
    assert holders == {"invitation", "registration", "enrolment"}
    callers = {s for s in SERVICES if env(s).get("INVITATION_URL") == "http://127.0.0.1:8002"}
    assert callers == {"registration", "enrolment"}


def test_secrets_files_are_private_from_their_creation(tmp_path: Path) -> None:
    path = tmp_path / "secrets.env"
    path.write_text("old")
    path.chmod(0o644)
    _write_env(path, {"INTERNAL_API_TOKEN": "t"})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text() == "INTERNAL_API_TOKEN=t\n"


def test_the_welcome_email_links_to_the_registration_service(tmp_path: Path) -> None:
    stack = StackConfig(
        **{**config(tmp_path).__dict__, "ports": {s: 9000 + n for n, s in enumerate(SERVICES)}}
    )
    assert stack.service_env("notification")["SIGN_IN_URL"] == f"{stack.url('registration')}/"
    assert stack.service_env("enrolment")["SIGN_IN_URL"] == f"{stack.url('registration')}/"
    others = [s for s in SERVICES if s not in ("notification", "enrolment")]
    assert all("SIGN_IN_URL" not in stack.service_env(s) for s in others)


def test_only_invitation_and_notification_run_more_than_once(tmp_path: Path) -> None:
    assert config(tmp_path, 1).process_names() == list(SERVICES)
    assert config(tmp_path, 3).process_names() == [
        *SERVICES,
        "invitation-2",
        "invitation-3",
        "notification-2",
        "notification-3",
    ]
    assert [service_of(n) for n in ("notification-2", "invitation-3", "registration")] == [
        "notification",
        "invitation",
        "registration",
    ]


def test_a_replica_differs_from_the_first_only_in_its_port(tmp_path: Path) -> None:
    stack = config(tmp_path, 2)
    first, second = stack.service_env("notification"), stack.service_env("notification-2")
    assert (first["HTTP_PORT"], second["HTTP_PORT"]) == ("8003", "8013")
    assert {k: v for k, v in second.items() if k != "HTTP_PORT"} == {
        k: v for k, v in first.items() if k != "HTTP_PORT"
    }
    # Other services call the first invitation process; texts' statuses come back to the
    # first notification process.
    assert stack.service_env("registration")["INVITATION_URL"] == "http://127.0.0.1:8002"
    assert second["SMS_STATUS_CALLBACK_URL"] == "http://127.0.0.1:8003/v1/sms/status"


def test_prometheus_scrapes_every_replica_under_its_service(tmp_path: Path) -> None:
    targets = prometheus_targets(config(tmp_path, 2)).split()
    assert "notification=127.0.0.1:8013" in targets
    assert "invitation=127.0.0.1:8012" in targets
    assert len(targets) == 6


def test_every_process_needs_a_port(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no port for invitation-2, notification-2"):
        StackConfig(
            run_dir=tmp_path,
            database_urls={},
            kafka_bootstrap_servers="127.0.0.1:9092",
            invitation_link_key="k",
            internal_api_token="t",
            replicas=2,
        )
