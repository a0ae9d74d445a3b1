import json

import pytest
from onboarding_contracts.events import EVENT_TYPES
from onboarding_contracts.schemas import (
    SCHEMA_DIR,
    breaking_changes,
    render,
    schema_of,
    schema_path,
)


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_committed_schema_matches_the_code(event_type: str) -> None:
    path = schema_path(event_type)
    assert path.exists(), f"{path.name} is missing: run `make schemas`"
    assert path.read_text() == render(schema_of(event_type)), (
        f"{path.name} drifted from the model: run `make schemas` and review the diff"
    )


def test_no_schema_file_without_a_model() -> None:
    files = {p.name.removesuffix(".json") for p in SCHEMA_DIR.glob("*.json")}
    assert files == set(EVENT_TYPES)


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_current_model_stays_readable_by_consumers_of_the_committed_schema(
    event_type: str,
) -> None:
    committed = json.loads(schema_path(event_type).read_text())
    assert breaking_changes(committed, schema_of(event_type)) == []


def test_breaking_changes_are_detected() -> None:
    old = schema_of("onboarding.enrolment.created")
    new = json.loads(json.dumps(old))
    data = new["$defs"]["EnrolmentCreatedData"]
    del data["properties"]["name"]
    data["properties"]["course"] = {"type": "integer"}
    data["required"].append("phone")
    problems = breaking_changes(old, new)
    assert any(p.endswith(".data.name: removed") for p in problems)
    assert any(".data.course: type changed" in p for p in problems)
    assert any(p.endswith(".data.phone: newly required") for p in problems)


def test_adding_an_optional_field_is_compatible() -> None:
    old = schema_of("onboarding.enrolment.created")
    new = json.loads(json.dumps(old))
    new["$defs"]["EnrolmentCreatedData"]["properties"]["nickname"] = {"type": "string"}
    assert breaking_changes(old, new) == []
