"""The enrolment service's settings, read from the environment, and its schema's files."""

from pathlib import Path

from onboarding_kit.settings import ServiceSettings
from pydantic import Field

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


class EnrolmentSettings(ServiceSettings):
    service_name: str = "enrolment"
    http_port: int = 8001
    import_max_bytes: int = Field(
        default=64 * 1024 * 1024,
        ge=1,
        description="The largest file `POST /v1/imports` and `POST /v1/enrolments:batch` take",
    )
    import_max_rows: int = Field(
        default=200_000, ge=1, description="The most rows one import or manual batch may have"
    )
    export_page_size: int = Field(
        default=2000,
        ge=1,
        description="Rows an export reads per query (each in its own short transaction)",
    )
    export_statement_timeout_ms: int = Field(
        default=10_000, ge=1, description="How long one page of an export may take to read"
    )
    sign_in_url: str | None = Field(
        default=None,
        min_length=1,
        description="The education platform's sign-in page, printed on the credentials "
        "report; without it that report answers 503 (the information report works)",
    )
    invitation_url: str = Field(
        default="http://127.0.0.1:8002",
        description="The invitation service, asked to resend a link (its internal API)",
    )
    internal_api_token: str | None = Field(
        default=None,
        min_length=16,
        description="Sent to the invitation service's internal API; without it, a resend "
        "answers 503 (everything else works)",
    )
    invitation_timeout_s: float = Field(
        default=5, gt=0, description="How long a resend waits for the invitation service"
    )
    reminder_sweep_interval_s: float = Field(
        default=60, gt=0, description="How often the scheduled reminders are looked for"
    )
