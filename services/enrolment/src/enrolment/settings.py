"""The enrolment service's settings, read from the environment, and its schema's files."""

from pathlib import Path

from onboarding_kit.settings import ServiceSettings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


class EnrolmentSettings(ServiceSettings):
    service_name: str = "enrolment"
    http_port: int = 8001
