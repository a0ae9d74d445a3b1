"""The local stack hands each service only its own secrets, and never leaves them readable."""

import stat
from pathlib import Path

from onboarding_devtools.devstack import SERVICES, StackConfig, _write_env


def config(tmp_path: Path) -> StackConfig:
    return StackConfig(
        run_dir=tmp_path,
        database_urls={s: f"postgresql://db/{s}" for s in SERVICES},
        kafka_bootstrap_servers="127.0.0.1:9092",
        invitation_link_key="the-link-key",
        internal_api_token="the-internal-token",
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
