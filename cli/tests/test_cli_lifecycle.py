"""`onboard invitations`, `resend`, `remind` and `settings` against the test double of the
enrolment API."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the fixture's type; conftest is not importable at run time
    from conftest import FakeApi


def _invite(api: FakeApi, count: int) -> None:
    api.state.invitations = [
        api.state.invitation(i, status="expired" if i % 2 else "pending", reminder_count=i % 3)
        for i in range(count)
    ]


def test_invitations_follows_the_cursor_up_to_the_limit(api: FakeApi) -> None:
    _invite(api, 60)
    result = api.run("invitations", "--status", "expired", "--email", "p1@example.org")
    assert result.exit_code == 0, result.output
    row = r"p1@example\.org\s+Person 1\s+ielts\s+expired\s+1\s+0\s+1\s+2025-01-02 03:04Z"
    assert re.search(row, result.output)
    calls = [params for path, params in api.state.requests if path == "/v1/invitations"]
    assert calls == [{"status": "expired", "email": "p1@example.org", "limit": "50"}]

    result = api.run("invitations", "--limit", "30")
    assert result.exit_code == 0, result.output
    assert len(re.findall(r"p\d+@example\.org", result.output)) == 30
    assert "30 shown; there are more" in result.output
    assert "course ielts" in result.output  # the same in every row: in the caption
    cursors = [p.get("cursor") for path, p in api.state.requests if path == "/v1/invitations"]
    assert cursors[1:] == [None, "25"]


def test_invitations_says_when_none_match(api: FakeApi) -> None:
    result = api.run("invitations", "--status", "revoked")
    assert result.exit_code == 0, result.output
    assert "No invitations match." in result.output
    assert api.run("invitations", "--status", "sent").exit_code == 2


def test_resend_shows_the_new_link_or_why_not(api: FakeApi) -> None:
    _invite(api, 2)
    result = api.run("resend", "e0")
    assert result.exit_code == 0, result.output
    assert "new link sent" in result.output
    assert re.search(r"links sent\s+2 \(1 resent, 0 reminders\)", result.output)
    api.state.settings["max_resends"] = 1
    refused = api.run("resend", "e0")
    assert refused.exit_code == 1
    assert refused.stderr.strip() == ("error: resent 1 times already, the most allowed (HTTP 409)")
    assert api.run("resend", "nobody").exit_code == 1
    invalid = api.run("resend", "bad\x01id")
    assert invalid.exit_code == 2, "refused before it is sent"


def test_remind_a_course_or_one_person(api: FakeApi) -> None:
    _invite(api, 3)
    api.state.invitations[0]["status"] = "accepted"
    result = api.run("remind", "--course", "ielts", "--import", "imp-1")
    assert result.exit_code == 0, result.output
    assert "2 reminders asked for; 1 passed by" in result.output
    assert api.state.reminded == [{"course": "ielts", "import_id": "imp-1"}]

    api.state.enrolments = [api.state.enrolment(0, status="invited")]
    one = api.run("remind", "--enrolment", "e0")
    assert one.exit_code == 0, one.output
    assert "reminder asked for Person 0 <p0@example.org>" in one.output
    api.state.enrolments[0]["status"] = "active"
    assert "the enrolment is active (HTTP 409)" in api.run("remind", "--enrolment", "e0").stderr


def test_remind_names_a_course_or_one_person(api: FakeApi) -> None:
    for args in (
        (),
        ("--course", "ielts", "--enrolment", "e0"),
        ("--enrolment", "e0", "--cohort", "c"),
        ("--course", ""),
    ):
        result = api.run("remind", *args)
        assert result.exit_code == 2, (args, result.output)
    assert api.state.requests == []


def test_settings_shows_every_setting_and_changes_only_those_given(api: FakeApi) -> None:
    result = api.run("settings")
    assert result.exit_code == 0, result.output
    assert re.search(r"link lifetime\s+24 h", result.output)
    assert re.search(r"max resends\s+3", result.output)
    assert re.search(r"reminders\s+off\s+at most 2 per person", result.output)

    result = api.run("settings", "--remind-after", "48", "--max-reminders", "1", "--self-service")
    assert result.exit_code == 0, result.output
    assert re.search(r"reminders\s+every 48 h\s+at most 1 per person", result.output)
    assert re.search(r"self-service\s+on", result.output)
    assert api.state.settings["reminder_after_hours"] == 48
    assert api.state.invite_policy == "auto", "left as it was"

    result = api.run("settings", "--remind-after", "off", "--link-hours", "2")
    assert result.exit_code == 0, result.output
    assert api.state.settings["reminder_after_hours"] is None
    assert api.state.settings["invitation_ttl_hours"] == 2

    before = len(api.state.requests)
    for args in (("--max-resends", "11"), ("--link-hours", "0"), ("--remind-after", "soon")):
        assert api.run("settings", *args).exit_code == 2, args
    assert len(api.state.requests) == before, "a setting the API would refuse is not sent"
