import json
from datetime import UTC, datetime

import pytest
from onboarding_contracts import (
    EnrolmentCreated,
    InvitationIssued,
    Origin,
    Topic,
    UnknownEventType,
    parse_event,
    topic_of,
)
from onboarding_contracts.events import EnrolmentCreatedData, InvitationIssuedData
from pydantic import ValidationError


def enrolment_created() -> EnrolmentCreated:
    return EnrolmentCreated(
        source="/onboarding/enrolment",
        subject="enr-1",
        tenant_id="t-1",
        correlation_id="c-1",
        data=EnrolmentCreatedData(
            enrolment_id="enr-1",
            email="ada@example.org",
            name="Ada Lovelace",
            external_id="S-1",
            role="learner",
            course="ielts",
        ),
    )


def test_round_trip_through_json_keeps_every_attribute() -> None:
    event = enrolment_created()
    parsed = parse_event(event.to_json())
    assert parsed == event
    assert isinstance(parsed, EnrolmentCreated)


def test_wire_form_uses_cloudevents_attribute_names() -> None:
    wire = json.loads(enrolment_created().to_json())
    assert wire["specversion"] == "1.0"
    assert wire["type"] == "onboarding.enrolment.created"
    assert wire["tenantid"] == "t-1"
    assert wire["correlationid"] == "c-1"
    assert wire["schemaversion"] == 1
    assert "tenant_id" not in wire


def test_an_event_reacting_to_another_carries_its_tenant_and_correlation_and_names_it() -> None:
    cause = enrolment_created()
    effect = InvitationIssued.new(
        Origin.reacting_to(cause, "/onboarding/invitation"),
        InvitationIssuedData(
            invitation_id="inv-1",
            enrolment_id="enr-1",
            email="ada@example.org",
            name="Ada",
            course="ielts",
            expires_at=datetime(2030, 1, 1, tzinfo=UTC),
            send_count=1,
            sealed_link="v2.k1.abc",
        ),
    )
    assert effect.subject == "inv-1"
    assert effect.source == "/onboarding/invitation"
    assert effect.tenant_id == cause.tenant_id
    assert effect.correlation_id == cause.correlation_id
    assert effect.causation_id == cause.id
    assert effect.id != cause.id


def test_unknown_fields_from_a_newer_producer_are_accepted() -> None:
    wire = json.loads(enrolment_created().to_json())
    wire["data"]["added_in_v2"] = "x"
    wire["newattribute"] = "y"
    parsed = parse_event(json.dumps(wire))
    assert parsed.data.model_extra == {"added_in_v2": "x"}


def test_unknown_type_and_bad_payload_are_rejected_clearly() -> None:
    wire = json.loads(enrolment_created().to_json())
    with pytest.raises(UnknownEventType):
        parse_event(json.dumps({**wire, "type": "onboarding.nothing.happened"}))
    wire["data"]["email"] = "not-an-email"
    with pytest.raises(ValidationError, match="email"):
        parse_event(json.dumps(wire))
    with pytest.raises(ValueError, match="JSON object"):
        parse_event("[1, 2]")


def test_every_event_type_maps_to_its_service_topic() -> None:
    assert topic_of("onboarding.enrolment.created") is Topic.ENROLMENT
    assert topic_of("onboarding.registration.account_activated") is Topic.REGISTRATION
    with pytest.raises(ValueError, match="not an onboarding event"):
        topic_of("other.enrolment.created")


def test_event_ids_are_random_version_4_uuids() -> None:
    import uuid

    from onboarding_contracts import new_event_id

    ids = {new_event_id() for _ in range(1000)}
    assert len(ids) == 1000
    for value in list(ids)[:50]:
        parsed = uuid.UUID(value)
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122 and str(parsed) == value


@pytest.mark.parametrize("field", ["name", "external_id", "course", "phone"])
def test_a_person_s_details_have_the_limits_the_api_enforces(field: str) -> None:
    fields = {
        "enrolment_id": "enr-1",
        "email": "ada@example.org",
        "name": "Ada",
        "external_id": "S-1",
        "role": "learner",
        "course": "ielts",
    }
    with pytest.raises(ValidationError):
        EnrolmentCreatedData(**{**fields, field: "x" * 1_000_000})
