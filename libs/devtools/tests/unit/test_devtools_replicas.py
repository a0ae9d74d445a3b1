"""Several processes of invitation and notification: their names, ports and environment."""

from pathlib import Path

import pytest
from onboarding_devtools.devstack import (
    SERVICES,
    StackConfig,
    default_ports,
    prometheus_targets,
    service_of,
)


def config(tmp_path: Path, replicas: int) -> StackConfig:
    return StackConfig(
        run_dir=tmp_path,
        database_urls={s: f"postgresql://db/{s}" for s in SERVICES},
        kafka_bootstrap_servers="127.0.0.1:9092",
        invitation_link_key="the-link-key",
        internal_api_token="the-internal-token",
        ports=default_ports(replicas),
        replicas=replicas,
    )


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
