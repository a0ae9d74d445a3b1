"""A tenant's settings: defaults, bounds, partial changes, and the link rules they give
every enrolment and invitation request."""

import pytest
from enrolment.domain.people import Person
from enrolment.domain.policy import InvitePolicy
from enrolment.domain.settings import TenantSettings
from enrolment.errors import InvalidEnrolment
from enrolment.use_cases.enrolling import enrol_person
from onboarding_contracts import EnrolmentCreated
from onboarding_contracts.events import LinkPolicy

from .fakes import CALLER, COURSE, FakeDatabase, clock, course_title
from .test_enrolment_import_use_case import parse, run_import


def test_the_defaults_are_the_seeds() -> None:
    settings = TenantSettings()
    assert settings.invite_policy is InvitePolicy.AUTO
    assert (settings.invitation_ttl_hours, settings.max_resends) == (24, 3)
    assert settings.self_service_resend is False
    assert (settings.reminder_after_hours, settings.max_reminders) == (None, 2)
    assert settings.reminder_period is None
    assert (settings.activation, settings.username_source) == ("auto", "chosen")
    assert settings.link_policy == LinkPolicy()


def test_a_change_keeps_what_it_does_not_name() -> None:
    changed = TenantSettings().changed({"max_resends": 5, "reminder_after_hours": 48})
    assert changed == TenantSettings(max_resends=5, reminder_after_hours=48.0)
    assert changed.reminder_period is not None and changed.reminder_period.days == 2
    assert changed.changed({"reminder_after_hours": None}).reminder_after_hours is None
    assert changed.changed({}) == changed
    policy = TenantSettings().changed({"invite_policy": "manual", "invitation_ttl_hours": 0.5})
    assert policy.invite_policy is InvitePolicy.MANUAL
    assert policy.link_policy == LinkPolicy(ttl_hours=0.5, max_resends=3)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("invitation_ttl_hours", 0),
        ("invitation_ttl_hours", -1),
        ("invitation_ttl_hours", 721),
        ("invitation_ttl_hours", None),
        ("invitation_ttl_hours", "24"),
        ("max_resends", -1),
        ("max_resends", 11),
        ("max_resends", 1.5),
        ("max_resends", True),
        ("max_resends", None),
        ("max_reminders", 11),
        ("reminder_after_hours", 0),
        ("reminder_after_hours", 720.5),
        ("self_service_resend", None),
        ("self_service_resend", "yes"),
        ("invite_policy", "sometimes"),
        ("invite_policy", None),
        ("activation", "manual"),
        ("activation", None),
        ("activation", True),
        ("username_source", "sso"),
        ("username_source", None),
        ("colour", "blue"),
        ("sender_name", "x" * 101),
        ("sender_name", 'Acme "Learning"'),
        ("sender_name", "Acme <noreply@acme.example>"),
        ("sender_name", "Acme\r\nBcc: victim@example.org"),
        ("sender_name", "Acme\u2028Learning"),
        ("sender_name", 7),
        ("message_intro", "x" * 501),
        ("message_intro", "Hello\x00"),
        ("message_intro", "bell\x07"),
        ("messages_per_second", 0),
        ("messages_per_second", -1),
        ("messages_per_second", 1000.5),
        ("messages_per_second", True),
        ("messages_per_second", "10"),
    ],
)
def test_a_value_out_of_bounds_is_refused_naming_the_field(field: str, value: object) -> None:
    with pytest.raises(InvalidEnrolment) as caught:
        TenantSettings().changed({"max_reminders": 1, field: value})
    assert caught.value.field == field


def test_the_bounds_themselves_are_allowed() -> None:
    edge = {
        "invitation_ttl_hours": 720,
        "max_resends": 0,
        "max_reminders": 10,
        "reminder_after_hours": 720,
        "self_service_resend": True,
    }
    changed = TenantSettings().changed(edge)
    assert changed.link_policy == LinkPolicy(ttl_hours=720, max_resends=0, self_service_resend=True)
    assert TenantSettings().changed({"max_resends": 10}).max_resends == 10


async def test_every_enrolment_created_carries_the_tenants_link_rules() -> None:
    rules = TenantSettings(invitation_ttl_hours=2, max_resends=1, self_service_resend=True)
    db = FakeDatabase(settings=rules)
    person = Person(email="ann@example.org", name="Ann", external_id="1")
    await enrol_person(db.uow(), clock, lambda: "e-1", CALLER, COURSE, person)
    [created] = db.outbox
    assert isinstance(created, EnrolmentCreated)
    assert created.data.link_policy == LinkPolicy(
        ttl_hours=2, max_resends=1, self_service_resend=True
    )
    # As it travels: a consumer reads the same rules back.
    decoded = EnrolmentCreated.model_validate_json(created.to_json())
    assert decoded.data.link_policy == created.data.link_policy


async def test_an_import_reads_the_settings_once_whatever_its_size() -> None:
    db = FakeDatabase(settings=TenantSettings(invitation_ttl_hours=6))
    people = "".join(f"p{n}@example.org,{n},P {n}\n" for n in range(25))
    summary = await run_import(db, parse(f"email,id,name\n{people}"), batch_size=4)
    assert summary.enrolled == 25
    assert db.settings_reads == 1
    policies = {e.data.link_policy for e in db.outbox if isinstance(e, EnrolmentCreated)}
    assert policies == {LinkPolicy(ttl_hours=6)}


def test_the_activation_and_username_rules_travel_in_every_link_policy() -> None:
    changed = TenantSettings().changed({"activation": "admin", "username_source": "email"})
    assert (changed.activation, changed.username_source) == ("admin", "email")
    assert changed.link_policy == LinkPolicy(activation="admin", username_source="email")
    # Built without validating again, yet as it travels a consumer reads the same values.
    decoded = LinkPolicy.model_validate_json(changed.link_policy.model_dump_json())
    assert decoded == changed.link_policy
    assert changed.changed({"activation": "auto"}).link_policy.username_source == "email"


async def test_every_enrolment_created_carries_the_course_title_read_once_per_import() -> None:
    db = FakeDatabase()
    person = Person(email="ann@example.org", name="Ann", external_id="1")
    await enrol_person(db.uow(), clock, lambda: "e-1", CALLER, COURSE, person)
    people = "".join(f"p{n}@example.org,{n},P {n}\n" for n in range(9))
    db.title_reads = 0
    await run_import(db, parse(f"email,id,name\n{people}"), batch_size=4)
    assert db.title_reads == 1
    created = [e for e in db.outbox if isinstance(e, EnrolmentCreated)]
    assert len(created) == 10
    assert {e.data.course_title for e in created} == {course_title(COURSE)}
    decoded = EnrolmentCreated.model_validate_json(created[0].to_json())
    assert decoded.data.course_title == course_title(COURSE)


def test_the_messaging_settings_default_to_the_platforms_and_are_trimmed() -> None:
    assert TenantSettings().messaging == {
        "sender_name": None,
        "message_intro": None,
        "messages_per_second": None,
    }
    changed = TenantSettings().changed(
        {
            "sender_name": "  Acme Learning ",
            "message_intro": "Welcome!\nYour course starts on Monday.\t",
            "messages_per_second": 1000,
        }
    )
    assert changed.messaging == {
        "sender_name": "Acme Learning",
        "message_intro": "Welcome!\nYour course starts on Monday.",
        "messages_per_second": 1000.0,
    }
    assert changed.link_policy == LinkPolicy(), "they are not link rules"
    cleared = changed.changed({"sender_name": "   ", "message_intro": None})
    assert (cleared.sender_name, cleared.message_intro) == (None, None)
    assert changed.changed({"messages_per_second": None}).messages_per_second is None
    assert changed.changed({"sender_name": "x" * 100}).sender_name == "x" * 100
    assert changed.changed({"messages_per_second": 0.5}).messages_per_second == 0.5
