"""Credentials in the running service, over a real PostgreSQL and Kafka: a person never
invited gets a set-password link with their email as sign-in name; an invited person's link
is replaced by one; an accepted invitation gets nothing; repeats of the event change
nothing."""

import pytest
from onboarding_contracts import CredentialsRequested, InvitationIssued, Origin
from onboarding_contracts.events import CredentialsRequestedData, LinkPolicy
from onboarding_devtools.testing import eventually

from .harness import Service, enrolment_created

pytestmark = pytest.mark.integration


def credentials_for(
    enrolment_id: str, *, channel: str = "email", ttl_hours: float = 24.0
) -> CredentialsRequested:
    created = enrolment_created(enrolment_id)
    return CredentialsRequested.new(
        Origin("/test", created.tenant_id, "corr-credentials"),
        CredentialsRequestedData.from_fields(
            created.data,
            channel=channel,
            phone="+447700900123",
            link_policy=LinkPolicy(ttl_hours=ttl_hours, username_source="chosen"),
        ),
    )


async def test_someone_never_invited_gets_a_set_password_link_with_their_email_as_username(
    service: Service,
) -> None:
    request = credentials_for("enr-cred-new", channel="sms", ttl_hours=48)
    await service.publish(request)
    issued, _ = await service.issued_for("enr-cred-new")

    data = issued.data
    assert (data.reason, data.purpose, data.username) == (
        "credentials",
        "set_password",
        "enr-cred-new@example.org",
    )
    assert (data.channel, data.phone, data.send_count) == ("sms", "+447700900123", 1)
    assert issued.correlation_id == "corr-credentials"
    details = await service.inspect(service.token_of(issued))
    assert details.status_code == 200
    body = details.json()
    # The tenant's usernames are chosen, but credentials fix the sign-in name to the email.
    assert body["purpose"] == "set_password"
    assert body["link_policy"]["username_source"] == "email"
    assert body["link_policy"]["ttl_hours"] == 48

    consumer = service.app.state.runtime.consumer
    applied = consumer.stats.applied
    await service.publish(request)  # the same event again: a duplicate
    await eventually(lambda: consumer.stats.duplicates >= 1)
    assert consumer.stats.applied == applied
    assert len(await service.published_events(InvitationIssued)) == 1


async def test_an_invited_persons_link_is_replaced_and_an_accepted_one_is_left_alone(
    service: Service,
) -> None:
    enrolment, first, token = await service.invite()
    enrolment_id = enrolment.data.enrolment_id
    assert first.data.purpose == "sign_up"
    assert first.data.username is None

    await service.publish(credentials_for(enrolment_id))
    issued, _ = await service.issued_for(enrolment_id, send_count=2)
    assert (issued.data.reason, issued.data.purpose) == ("credentials", "set_password")
    assert issued.data.invitation_id == first.data.invitation_id
    assert issued.data.resend_count == 0, "credentials are not a resend: no limit is spent"
    assert (await service.inspect(token)).json()["reason"] == "replaced"
    new_token = service.token_of(issued)
    assert (await service.redeem(new_token)).status_code == 200

    consumer = service.app.state.runtime.consumer
    applied = consumer.stats.applied
    await service.publish(credentials_for(enrolment_id))
    await eventually(lambda: consumer.stats.applied > applied)
    sent = [e.data.send_count for e in await service.published_events(InvitationIssued)]
    assert sent == [1, 2], "an accepted invitation gets no new link"
    assert (await service.inspect(new_token)).json()["reason"] == "used"
