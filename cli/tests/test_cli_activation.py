"""`onboard activate`, the activation and username settings, and the people waiting for
approval in the funnel, against the test double of the enrolment API."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the fixture's type; conftest is not importable at run time
    from conftest import FakeApi


def _waiting(api: FakeApi) -> None:
    api.state.enrolments = [
        api.state.enrolment(0, status="pending_activation", cohort="2025"),
        api.state.enrolment(1, status="invited", cohort="2025"),
        api.state.enrolment(2, status="pending_activation"),
    ]


def test_activate_one_person_or_why_not(api: FakeApi) -> None:
    _waiting(api)
    result = api.run("activate", "e0")
    assert result.exit_code == 0, result.output
    assert "activation asked for Person 0 <p0@example.org>" in result.output
    refused = api.run("activate", "e1")
    assert refused.exit_code == 1
    assert refused.stderr.strip() == "error: the enrolment is invited (HTTP 409)"
    assert api.run("activate", "nobody").exit_code == 1
    assert api.run("activate", "bad\x01id").exit_code == 2, "refused before it is sent"


def test_activate_everyone_waiting_in_a_group(api: FakeApi) -> None:
    _waiting(api)
    result = api.run("activate", "--course", "ielts", "--cohort", "2025")
    assert result.exit_code == 0, result.output
    assert "1 activation asked for" in result.output
    result = api.run("activate", "--course", "ielts")
    assert "2 activations asked for" in result.output
    result = api.run("activate", "--import", "imp-1")
    assert "0 activations asked for" in result.output
    assert api.state.activations == [
        {"course": "ielts", "cohort": "2025"},
        {"course": "ielts"},
        {"import_id": "imp-1"},
    ]


def test_activate_names_one_person_or_a_group(api: FakeApi) -> None:
    for args in ((), ("e0", "--course", "ielts"), ("--course", ""), ("--cohort", "")):
        result = api.run("activate", *args)
        assert result.exit_code == 2, (args, result.output)
    assert api.state.requests == []


def test_settings_show_and_set_activation_and_the_username_source(api: FakeApi) -> None:
    result = api.run("settings")
    assert result.exit_code == 0, result.output
    assert re.search(r"activation\s+auto\s+active once registered", result.output)
    assert re.search(r"usernames\s+chosen\s+each person picks theirs", result.output)

    result = api.run("settings", "--activation", "admin", "--username-source", "email")
    assert result.exit_code == 0, result.output
    assert re.search(r"activation\s+admin\s+an admin activates each account", result.output)
    assert re.search(r"usernames\s+email\s+the person's email", result.output)
    assert (api.state.settings["activation"], api.state.settings["username_source"]) == (
        "admin",
        "email",
    )
    assert api.state.settings["max_resends"] == 3, "left as it was"
    before = len(api.state.requests)
    for args in (("--activation", "manual"), ("--username-source", "sso")):
        assert api.run("settings", *args).exit_code == 2, args
    assert len(api.state.requests) == before


def test_the_funnel_shows_who_waits_for_approval(api: FakeApi) -> None:
    result = api.run("funnel")
    assert result.exit_code == 0, result.output
    assert re.search(r"registered\s+50\s+25\.0%", result.output)
    assert re.search(r"pending_activation\s+4\s+2\.0%", result.output)
