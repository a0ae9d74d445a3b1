"""What a link's details tell the registration service, over the running service: the
course's title, the phone on file, and the whole link policy the link was last sent under
(activation and username source with the rest); a resend brings its own policy, a person's
own request for a new link keeps the stored one."""

from datetime import timedelta

import pytest
from onboarding_contracts import InvitationRequested, Origin
from onboarding_contracts.events import InvitationRequestedData, LinkPolicy

from .harness import Service, enrolment_created

pytestmark = pytest.mark.integration

ADMIN_SSO = LinkPolicy(
    ttl_hours=2, self_service_resend=True, activation="admin", username_source="email"
)


async def test_the_details_carry_the_title_the_phone_and_the_policy_of_the_last_link(
    service: Service,
) -> None:
    event, _, token = await service.invite(
        ADMIN_SSO, course_title="The Analytical Engine", phone="+447700900123"
    )
    inspected = await service.inspect(token)
    assert inspected.status_code == 200, inspected.text
    details = inspected.json()
    assert (details["course"], details["course_title"]) == (
        "Analytical Engines 101",
        "The Analytical Engine",
    )
    assert details["phone"] == "+447700900123"
    assert details["link_policy"] == ADMIN_SSO.model_dump(mode="json")

    # An admin's resend, under the tenant's settings as they are now.
    resent = await service.resend(event, self_service_resend=True, username_source="email")
    assert resent.status_code == 200, resent.text
    issued, _ = await service.issued_for(event.data.enrolment_id, send_count=2)
    second = service.token_of(issued)
    now_policy = LinkPolicy(self_service_resend=True, username_source="email")
    details = (await service.inspect(second)).json()
    assert details["link_policy"] == now_policy.model_dump(mode="json")
    assert details["course_title"] == "The Analytical Engine", "a resend keeps the title"

    # The person's own request, from the replaced link: the policy the last link had.
    service.clock.offset = timedelta(minutes=11)
    asked = await service.new_link(token)
    assert asked.status_code == 202, asked.text
    issued, _ = await service.issued_for(event.data.enrolment_id, send_count=3)
    redeemed = await service.redeem(service.token_of(issued))
    assert redeemed.status_code == 200, redeemed.text
    details = redeemed.json()
    assert details["link_policy"] == now_policy.model_dump(mode="json")
    assert (details["course_title"], details["phone"]) == ("The Analytical Engine", "+447700900123")


async def test_an_invitation_asked_for_by_hand_carries_its_title_and_policy(
    service: Service,
) -> None:
    enrolled = enrolment_created(invite=False)
    await service.publish(enrolled)
    requested = InvitationRequested.new(
        Origin("/test", enrolled.tenant_id, enrolled.correlation_id),
        InvitationRequestedData(
            enrolment_id=enrolled.data.enrolment_id,
            email=enrolled.data.email,
            name=enrolled.data.name,
            course=enrolled.data.course,
            course_title="Engines, by hand",
            link_policy=LinkPolicy(activation="admin"),
        ),
    )
    await service.publish(requested)
    issued, _ = await service.issued_for(enrolled.data.enrolment_id)
    details = (await service.inspect(service.token_of(issued))).json()
    assert details["course_title"] == "Engines, by hand"
    assert details["link_policy"] == LinkPolicy(activation="admin").model_dump(mode="json")
    [row] = await service.fetch("SELECT course_title, activation, username_source FROM invitations")
    assert dict(row) == {
        "course_title": "Engines, by hand",
        "activation": "admin",
        "username_source": "chosen",
    }
