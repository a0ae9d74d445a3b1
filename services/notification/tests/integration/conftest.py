"""InvitationIssued events as the invitation service publishes them, with sealed links; the
SMTP sink."""

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from onboarding_contracts import InvitationIssued, Origin
from onboarding_contracts.events import (
    Channel,
    InvitationIssuedData,
    link_context_of,
    sealed_link_context,
)
from onboarding_devtools.testing.mail import Sink
from onboarding_kit.sealing import Sealer, new_key

EXPIRES = datetime.now(UTC).replace(microsecond=0) + timedelta(days=7)


def link_for(invitation_id: str, send_count: int) -> str:
    # No '&' in it: the HTML part would escape it, and we look for the link verbatim.
    return f"https://join.example.org/accept?token={invitation_id}-{send_count}-{uuid.uuid4().hex}"


class Invitations:
    """Issues invitations sealed with `key`, the key the notification service is given."""

    def __init__(self, key: str) -> None:
        self.key = key

    def issued(
        self,
        invitation_id: str,
        *,
        send_count: int = 1,
        link: str | None = None,
        email: str = "ann@example.org",
        name: str = "Ann Lee",
        channel: Channel = "email",
        key: str | None = None,
    ) -> InvitationIssued:
        link = link or link_for(invitation_id, send_count)
        origin = Origin(
            source="/onboarding/invitation",
            tenant_id="tenant-1",
            correlation_id=f"corr-{uuid.uuid4().hex[:8]}",
            causation_id=f"cause-{uuid.uuid4().hex[:8]}",
        )
        return InvitationIssued.new(
            origin,
            InvitationIssuedData(
                invitation_id=invitation_id,
                enrolment_id=f"enr-{invitation_id}",
                email=email,
                name=name,
                course="Biology 101",
                expires_at=EXPIRES,
                send_count=send_count,
                channel=channel,
                sealed_link=Sealer(key or self.key).seal(
                    link,
                    context=sealed_link_context(
                        tenant_id=origin.tenant_id,
                        invitation_id=invitation_id,
                        send_count=send_count,
                        email=email,
                        phone=None,
                    ),
                ),
            ),
        )

    @staticmethod
    def republished(event: InvitationIssued) -> InvitationIssued:
        """What a republish of the same link looks like: a new event id, the same data."""
        return event.model_copy(update={"id": str(uuid.uuid4())})

    def link_of(self, event: InvitationIssued) -> str:
        return Sealer(self.key).unseal(event.data.sealed_link, context=link_context_of(event))


@pytest.fixture
def invitations() -> Invitations:
    return Invitations(new_key())


@pytest.fixture
def sink(tmp_path: Path, unused_port: int) -> Iterator[Sink]:
    """The SMTP sink on a free port, not started: a test starts it when it wants mail."""
    sink = Sink(tmp_path / "mail", unused_port)
    yield sink
    sink.stop()
