import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import jsonschema_rs
import pytest
from onboarding_contracts import EnrolmentCreated, Origin
from onboarding_contracts.events import EnrolmentCreatedData, LinkPolicy
from onboarding_contracts.schemas import schema_path
from onboarding_contracts.serialised import serialised

ORIGIN = Origin("/onboarding/enrolment", "t-1", "c-1")
REQUIRED = {
    "enrolment_id": "enr-1",
    "email": "ada@example.org",
    "name": "Ada Lovelace",
    "external_id": "S-1",
    "role": "learner",
    "course": "ielts",
}
ROWS: list[dict[str, Any]] = [
    REQUIRED,
    {
        **REQUIRED,
        "name": 'Zoë "Zo" Ñúñez\\ 李小龍 \u2028',
        "course_title": "Français — niveau 2",
        "cohort": "spring-26",
        "channel": "sms",
        "phone": "+34600000000",
        "import_id": "imp-1",
        "invite": False,
        "locale": "es",
        "link_policy": LinkPolicy(ttl_hours=72.5, max_resends=5),
    },
    {**REQUIRED, "course_title": None, "cohort": None, "link_policy": LinkPolicy()},
]
TIMES = [
    datetime(2026, 3, 1, 9, 30, 0, tzinfo=UTC),  # no microseconds: none written
    datetime(2026, 3, 1, 9, 30, 0, 1000, tzinfo=UTC),
    datetime(2026, 3, 1, 11, 30, 0, 5, tzinfo=timezone(timedelta(hours=2))),  # shown in UTC
]


def model_json(data: dict[str, Any], origin: Origin, event_id: str, at: datetime) -> str:
    event = EnrolmentCreated.new(origin, EnrolmentCreatedData(**data))
    return event.model_copy(update={"id": event_id, "time": at}).model_dump_json()


@pytest.mark.parametrize("data", ROWS)
@pytest.mark.parametrize("at", TIMES)
def test_the_fast_path_writes_what_the_model_dumps(data: dict[str, Any], at: datetime) -> None:
    fast = serialised(EnrolmentCreated, ORIGIN, data, event_id="ev-1", at=at)
    assert fast.json == model_json(data, ORIGIN, "ev-1", at)
    assert (fast.id, fast.type, fast.subject) == ("ev-1", EnrolmentCreated.event_type, "enr-1")


def test_the_causation_is_written_and_kept_beside_the_json() -> None:
    origin = Origin(ORIGIN.source, ORIGIN.tenant_id, ORIGIN.correlation_id, "cause-1")
    fast = serialised(EnrolmentCreated, origin, REQUIRED, event_id="ev-1", at=TIMES[0])
    assert fast.causation_id == "cause-1"
    assert fast.json == model_json(REQUIRED, origin, "ev-1", TIMES[0])


def test_each_event_gets_its_own_id_and_the_time_now() -> None:
    before = datetime.now(UTC)
    first, second = (serialised(EnrolmentCreated, ORIGIN, REQUIRED) for _ in range(2))
    assert first.id != second.id
    parsed = EnrolmentCreated.model_validate_json(first.json)
    assert parsed.id == first.id
    assert before <= parsed.time <= datetime.now(UTC)


@pytest.mark.parametrize("data", ROWS)
def test_the_committed_schema_validates_the_fast_paths_json(data: dict[str, Any]) -> None:
    schema = json.loads(schema_path(EnrolmentCreated.event_type).read_text())
    fast = serialised(EnrolmentCreated, ORIGIN, data)
    jsonschema_rs.validate(schema, json.loads(fast.json))


def test_an_unknown_field_is_refused() -> None:
    with pytest.raises(ValueError, match="nickname"):
        serialised(EnrolmentCreated, ORIGIN, {**REQUIRED, "nickname": "Ada"})


def test_a_missing_required_field_is_refused() -> None:
    with pytest.raises(ValueError, match="email"):
        serialised(EnrolmentCreated, ORIGIN, {k: v for k, v in REQUIRED.items() if k != "email"})
