"""What an invitation keeps for the registration its link leads to: the course's title and
the whole link policy it was last sent under (activation and username source with the
rest), from the request that sent it; a person's own request keeps the stored policy. The
title and the person's locale travel in every InvitationIssued, a resend's and a
reminder's too."""

from dataclasses import replace
from datetime import UTC, datetime

from invitation.domain.statuses import InvitationStatus
from invitation.use_cases.issuing import issue_invitations
from invitation.use_cases.new_links import send_new_link
from invitation.use_cases.reminding import send_reminders
from invitation.use_cases.resending import resend_invitation
from invitation.use_cases.sending import Links
from onboarding_contracts import (
    EnrolmentCreated,
    InvitationIssued,
    InvitationRequested,
    Origin,
    ReminderRequested,
)
from onboarding_contracts.events import (
    EnrolmentCreatedData,
    InvitationRequestedData,
    LinkPolicy,
    ReminderRequestedData,
)
from onboarding_contracts.internal.invitations import ResendIn
from onboarding_kit.ids import new_id
from onboarding_kit.sealing import Sealer, new_key

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
ENROLMENT = Origin("/onboarding/enrolment", "tenant-1", "corr-1")
ADMIN_SSO = LinkPolicy(ttl_hours=6, activation="admin", username_source="email")


def links() -> Links:
    return Links("https://join.example.org", Sealer(new_key()), new_id)


def now() -> datetime:
    return NOW


async def test_the_title_and_the_whole_policy_of_the_request_are_stored(tx) -> None:
    created = EnrolmentCreated.new(
        ENROLMENT,
        EnrolmentCreatedData(
            enrolment_id="enr-1",
            email="ann@example.org",
            name="Ann Lee",
            external_id="s1",
            role="learner",
            course="bio-101",
            course_title="Biology for beginners",
            link_policy=ADMIN_SSO,
        ),
    )
    requested = InvitationRequested.new(
        ENROLMENT,
        InvitationRequestedData(
            enrolment_id="enr-2", email="bo@example.org", name="Bo", course="bio-101"
        ),
    )
    await issue_invitations(tx, [created, requested], links=links(), clock=now, new_id=new_id)
    by_enrolment = {i.enrolment_id: i for i in tx.invitations.invitations.values()}
    ann, bo = by_enrolment["enr-1"], by_enrolment["enr-2"]
    assert (ann.course, ann.course_title) == ("bio-101", "Biology for beginners")
    assert ann.policy == ADMIN_SSO
    # An event without them (a producer from before): no title, the defaults.
    assert (bo.course_title, bo.policy) == (None, LinkPolicy())


async def test_a_resend_or_a_reminder_stores_its_policy_a_new_link_keeps_the_stored_one(
    tx, uow
) -> None:
    tx.invitations.add("tok-1", status=InvitationStatus.EXPIRED, course_title="Biology")
    resend = ResendIn(tenant_id="tenant-1", enrolment_id="enr-1", link_policy=ADMIN_SSO)
    resent = await resend_invitation(uow, now, links(), resend)
    assert resent.policy == ADMIN_SSO
    assert resent.course_title == "Biology", "a resend brings no title: the stored one stays"

    chosen = LinkPolicy(self_service_resend=True, username_source="chosen")
    remind = ReminderRequested.new(
        ENROLMENT,
        ReminderRequestedData(enrolment_id="enr-1", course="bio-101", link_policy=chosen),
    )
    await send_reminders(tx, [remind], links=links(), clock=now)
    reminded = tx.invitations.invitations["inv-1"]
    assert reminded.policy == chosen

    # The person's own request brings no policy: the one the last link was sent under. (Its
    # last link long ago, so that it is not "too soon"; tok-1 is one the resend replaced.)
    earlier = datetime(2025, 1, 1, tzinfo=UTC)
    tx.invitations.invitations["inv-1"] = replace(reminded, last_sent_at=earlier)
    renewed = await send_new_link(uow, now, links(), "tok-1")
    assert (renewed.resend_count, renewed.policy) == (2, chosen)


def _issued(tx) -> list[InvitationIssued]:
    return [e for e in tx.outbox if isinstance(e, InvitationIssued)]


async def test_every_link_says_the_locale_and_the_course_title_a_resend_and_a_reminder_keep_them(
    tx, uow
) -> None:
    created = EnrolmentCreated.new(
        ENROLMENT,
        EnrolmentCreatedData(
            enrolment_id="enr-1",
            email="ann@example.org",
            name="Ann Lee",
            external_id="s1",
            role="learner",
            course="bio-101",
            course_title="Biologie pour débutants",
            locale="fr",
        ),
    )
    requested = InvitationRequested.new(
        ENROLMENT,
        InvitationRequestedData(
            enrolment_id="enr-2", email="bo@example.org", name="Bo", course="bio-101"
        ),
    )
    await issue_invitations(tx, [created, requested], links=links(), clock=now, new_id=new_id)
    first = {e.data.enrolment_id: e.data for e in _issued(tx)}
    assert (first["enr-1"].locale, first["enr-1"].course_title) == (
        "fr",
        "Biologie pour débutants",
    )
    # A request without them (a producer from before): English, the course's code shown.
    assert (first["enr-2"].locale, first["enr-2"].course_title) == (None, None)
    [stored] = [i for i in tx.invitations.invitations.values() if i.enrolment_id == "enr-1"]
    assert stored.locale == "fr"

    # A resend and a reminder bring neither: the stored ones go out again.
    tx.invitations.invitations = {stored.id: stored}
    tx.outbox.clear()
    resend = ResendIn(tenant_id="tenant-1", enrolment_id="enr-1", link_policy=LinkPolicy())
    await resend_invitation(uow, now, links(), resend)
    remind = ReminderRequested.new(
        ENROLMENT, ReminderRequestedData(enrolment_id="enr-1", course="bio-101")
    )
    tx.invitations.invitations[stored.id] = replace(
        tx.invitations.invitations[stored.id], last_sent_at=datetime(2025, 1, 1, tzinfo=UTC)
    )
    await send_reminders(tx, [remind], links=links(), clock=now)
    again = _issued(tx)
    assert [e.data.reason for e in again] == ["resend", "reminder"]
    assert {(e.data.locale, e.data.course_title) for e in again} == {
        ("fr", "Biologie pour débutants")
    }
