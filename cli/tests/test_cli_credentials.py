"""`onboard credentials`, against the test double of the enrolment API: whom it names, the
channel it asks for, and what it says was done."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the fixture's type; conftest is not importable at run time
    from conftest import FakeApi


def _people(api: FakeApi) -> None:
    """e0 by email, e1 by SMS with no phone, e2 with an account already, e3 registered,
    e4 by SMS with a phone, in another cohort."""
    api.state.enrolments = [
        api.state.enrolment(0, cohort="2025"),
        api.state.enrolment(1, cohort="2025", channel="sms", status="invited"),
        api.state.enrolment(2, cohort="2025", account_id="acc-2", status="expired"),
        api.state.enrolment(3, cohort="2025", status="active"),
        api.state.enrolment(4, cohort="2026", channel="sms", phone="+44 20 7946 0000"),
    ]


def test_credentials_for_people_by_id_say_what_became_of_each(api: FakeApi) -> None:
    _people(api)
    result = api.run("credentials", "e0", "e1", "e2", "e3")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        "1 person sent credentials (their sign-in name and a link to set a password); "
        "1 active at once (an account already); 1 unreachable by SMS (no phone number)"
    )
    assert api.state.credentials == [{"ids": ["e0", "e1", "e2", "e3"]}]


def test_credentials_for_a_group_leave_out_the_parts_that_are_zero(api: FakeApi) -> None:
    _people(api)
    result = api.run("credentials", "--course", "ielts", "--cohort", "2026")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        "1 person sent credentials (their sign-in name and a link to set a password)"
    )
    result = api.run("credentials", "--import", "imp-1")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        "0 people sent credentials (their sign-in name and a link to set a password)"
    )
    assert api.state.credentials == [{"course": "ielts", "cohort": "2026"}, {"import_id": "imp-1"}]


def test_ids_and_a_group_together_narrow_the_selection(api: FakeApi) -> None:
    _people(api)
    result = api.run("credentials", "e0", "e4", "--cohort", "2025")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("1 person sent credentials")
    assert api.state.credentials == [{"cohort": "2025", "ids": ["e0", "e4"]}]


def test_the_channel_asked_for_overrides_each_persons_own(api: FakeApi) -> None:
    _people(api)
    result = api.run("credentials", "--course", "ielts", "--channel", "SMS")
    assert result.exit_code == 0, result.output
    # by SMS only e4 has a phone; e0 and e1 have none; e2 has an account already
    assert result.output.strip() == (
        "1 person sent credentials (their sign-in name and a link to set a password); "
        "1 active at once (an account already); 2 unreachable by SMS (no phone number)"
    )
    result = api.run("credentials", "--course", "ielts", "--channel", "email")
    assert result.output.startswith("3 people sent credentials"), result.output
    assert [body.get("channel") for body in api.state.credentials] == ["sms", "email"]


def test_credentials_name_people_or_a_group(api: FakeApi) -> None:
    result = api.run("credentials")
    assert result.exit_code == 2, result.output
    assert "name one or more ENROLMENT_IDs, or a group" in result.stderr
    for args in (
        ("--course", ""),  # blank: no group named
        ("bad\x01id",),
        ("--course", "ielts", "--channel", "fax"),
        tuple(f"e{i}" for i in range(1001)),
    ):
        result = api.run("credentials", *args)
        assert result.exit_code == 2, (args[:2], result.output)
    assert "1,001 enrolment ids: at most 1,000" in result.stderr
    assert api.state.requests == [], "nothing is sent that the API would refuse"


def test_a_refused_key_is_reported(api: FakeApi) -> None:
    result = api.run("credentials", "e0", key="wrong")
    assert result.exit_code == 1
    assert "unknown API key" in result.stderr
