"""The details of a usable link, as the invitation service gives them, for the tests' fakes."""

from datetime import UTC, datetime, timedelta

from onboarding_contracts.internal.invitations import LinkDetails

LINK = LinkDetails(
    invitation_id="inv-1",
    tenant_id="t-1",
    enrolment_id="enr-1",
    email="ada@example.org",
    name="Ada",
    course="ielts",
    expires_at=datetime.now(UTC) + timedelta(days=7),
    correlation_id="corr-1",
)
