"""`onboard dlq` against four doubles of the operations API, one per service."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from onboarding_cli.errors import ApiDrift
from onboarding_cli.main import app
from onboarding_cli.ops_client import OpsClient
from typer.testing import CliRunner

if TYPE_CHECKING:  # the fixture's type; conftest is not importable at run time
    from conftest import FakeOps

DLQ = "/internal/v1/dead-letters"
EVERY = ("enrolment", "invitation", "notification", "registration")


def asked(ops: FakeOps, service: str) -> list[str]:
    """The paths the CLI asked `service` for."""
    return [path for path, _ in ops.states[service].requests]


# --- list --------------------------------------------------------------------------------


def test_list_asks_every_service_and_names_the_one_it_cannot_reach(
    ops: FakeOps, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "250")  # wide enough for each row on one line
    first = ops.states["enrolment"].park(3, topic="onboarding.invitation.v1.dlt", attempts=1)
    second = ops.states["notification"].park(
        7, error="connection to the SMTP server timed out", error_type="TimeoutError"
    )
    third = ops.states["notification"].park(
        8, replayed_at="2025-03-04T06:00:00Z", parked_at="2025-03-04T05:00:00Z"
    )
    result = ops.run("list", down=["registration"])

    assert result.exit_code == 1, result.output  # one service could not be asked
    out = result.stdout
    rows = [" ".join(line.split()) for line in out.splitlines() if "onboarding." in line]
    assert rows == [  # oldest first, across the services; each time's day, then its time
        # service, id, parked at, event type, event id, attempts, replayed at, error
        f"notification {third} 2025-03-04 onboarding.enrolment.created evt-8 5 2025-03-04 "
        "SMTPRecipientsRefused: the SMTP server refused the message",
        f"enrolment {first} 2025-03-04 onboarding.enrolment.created evt-3 1 — "
        "SMTPRecipientsRefused: the SMTP server refused the message",
        f"notification {second} 2025-03-04 onboarding.enrolment.created evt-7 5 — "
        "TimeoutError: connection to the SMTP server timed out",
    ]
    times = [line.split() for line in out.splitlines() if re.match(r"\s+\d\d:\d\dZ", line)]
    assert times == [["05:00Z", "06:00Z"], ["05:06Z"], ["05:06Z"]]
    assert "3 dead letters, 2 not replayed" in out
    assert "registration" not in out
    error = result.stderr.strip()
    assert error.startswith("error: cannot reach the registration service at http://127.0.0.1:")
    assert "REGISTRATION_URL" in error
    for service in ("enrolment", "invitation", "notification"):
        assert asked(ops, service) == [DLQ]
        assert ops.states[service].tokens == [ops.token]
    assert "Traceback" not in result.output


def test_list_says_when_there_are_no_dead_letters(ops: FakeOps) -> None:
    result = ops.run("list")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "no dead letters"
    assert all(asked(ops, service) == [DLQ] for service in EVERY)


def test_an_empty_list_names_the_services_that_answered(ops: FakeOps) -> None:
    result = ops.run("list", down=["invitation", "notification"])
    assert result.exit_code == 1
    assert result.stdout.strip() == "no dead letters in enrolment, registration"
    lines = result.stderr.splitlines()
    assert len(lines) == 2
    assert "cannot reach the invitation service" in lines[0]
    assert "cannot reach the notification service" in lines[1]


def test_list_of_one_service_asks_only_that_one(ops: FakeOps) -> None:
    letter = ops.states["invitation"].park(1)
    ops.states["enrolment"].park(2)
    result = ops.run("list", "--service", "Invitation")
    assert result.exit_code == 0, result.output
    assert letter in result.stdout
    assert "1 dead letter, 1 not replayed" in result.stdout
    assert [s for s in EVERY if asked(ops, s)] == ["invitation"]


def test_a_refused_token_is_reported_for_each_service(ops: FakeOps) -> None:
    result = ops.run("list", "--service", "notification", token="not-the-token-at-all")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "error: notification: send the operations token in X-Ops-Token (HTTP 401) "
        "— check the operations token (from $OPS_API_TOKEN)"
    )


# --- show --------------------------------------------------------------------------------


def test_show_finds_the_service_that_parked_it_and_prints_the_event(ops: FakeOps) -> None:
    letter = ops.states["invitation"].park(
        12, error="duplicate key value violates unique constraint [invitations_pkey]"
    )
    result = ops.run("show", letter)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert re.search(rf"id\s+{re.escape(letter)}", out)
    assert re.search(r"service\s+invitation", out)
    assert re.search(r"from topic\s+onboarding\.enrolment\.v1 *\n", out)
    assert re.search(r"error type\s+SMTPRecipientsRefused", out)
    assert "duplicate key value violates unique constraint [invitations_pkey]" in out
    assert re.search(r"replayed\s+not yet", out)
    event = out[out.index("\nevent\n") :]
    assert '\n  "id": "evt-12",\n' in event  # pretty-printed, two spaces a level
    assert '\n    "email": "p12@example.org"\n' in event
    for service in EVERY:  # each was asked, as the id does not say who parked it
        assert asked(ops, service) == [f"{DLQ}/{letter}"]


def test_show_a_letter_found_while_another_service_is_down(ops: FakeOps) -> None:
    letter = ops.states["registration"].park(4)
    result = ops.run("show", letter, down=["enrolment"])
    assert result.exit_code == 0, result.output
    assert re.search(r"service\s+registration", result.stdout)


def test_show_an_event_that_is_not_json_as_it_is(ops: FakeOps) -> None:
    letter = ops.states["notification"].park(5, event="\x00not json {")
    result = ops.run("show", letter, "--service", "notification")
    assert result.exit_code == 0, result.output
    assert "event (not JSON, as received)" in result.stdout
    assert "not json {" in result.stdout
    assert [s for s in EVERY if asked(ops, s)] == ["notification"]


def test_show_an_id_no_service_parked(ops: FakeOps) -> None:
    result = ops.run("show", "onboarding.enrolment.v1.dlt:0:99")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "error: no service parked onboarding.enrolment.v1.dlt:0:99 (asked enrolment, "
        "invitation, notification, registration) — `onboard dlq list` shows the dead letters"
    )


def test_show_an_id_not_found_where_some_services_could_not_be_asked(ops: FakeOps) -> None:
    result = ops.run("show", "onboarding.enrolment.v1.dlt:0:99", down=["invitation"])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith("error: cannot reach the invitation service")
    assert lines[1] == (
        "error: enrolment, notification, registration did not park "
        "onboarding.enrolment.v1.dlt:0:99, and invitation could not be asked"
    )


def test_show_with_service_reports_its_404(ops: FakeOps) -> None:
    ops.states["enrolment"].park(1)
    result = ops.run("show", "onboarding.enrolment.v1.dlt:0:1", "-s", "notification")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "error: notification: this service parked no event onboarding.enrolment.v1.dlt:0:1 "
        "(HTTP 404) — without --service every service is asked"
    )
    assert not asked(ops, "enrolment")


@pytest.mark.parametrize("letter_id", ["nope", "a/b:0:1", "topic:x:1", "t:0:1" + "0" * 300])
def test_an_id_that_cannot_be_one_is_refused_before_any_request(
    ops: FakeOps, letter_id: str
) -> None:
    result = ops.run("show", letter_id)
    assert result.exit_code == 2
    assert "is not a dead letter's id" in result.stderr
    assert "topic:partition:offset" in result.stderr
    assert not any(asked(ops, s) for s in EVERY)


# --- replay ------------------------------------------------------------------------------


def test_replay_that_is_applied(ops: FakeOps) -> None:
    letter = ops.states["notification"].park(9)
    result = ops.run("replay", letter)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == (
        f"applied: notification replayed {letter}, and it went through"
    )
    assert ops.states["notification"].replays == [letter]
    # found first (each service asked), then replayed where it was parked, only there
    assert asked(ops, "notification") == [f"{DLQ}/{letter}", f"{DLQ}/{letter}/replay"]
    assert asked(ops, "enrolment") == [f"{DLQ}/{letter}"]


def test_replay_that_is_parked_again_exits_1(ops: FakeOps) -> None:
    letter = ops.states["enrolment"].park(2, outcome="fails")
    result = ops.run("replay", letter, "--service", "enrolment")
    assert result.exit_code == 1
    assert result.stdout.strip() == (
        f"parked again: enrolment replayed {letter}, it failed again and was parked again as "
        "a new dead letter (onboard dlq list --service enrolment)"
    )
    assert asked(ops, "enrolment") == [f"{DLQ}/{letter}/replay"]  # --service: no search
    assert len(ops.states["enrolment"].letters) == 2


def test_replay_of_a_letter_replayed_already(ops: FakeOps) -> None:
    letter = ops.states["invitation"].park(6, replayed_at="2025-03-04T06:00:00Z")
    result = ops.run("replay", letter)
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"error: already replayed: invitation replayed {letter} at 2025-03-04 06:00:00Z "
        "— a dead letter is replayed once at most, so its event is not applied twice"
    )
    assert ops.states["invitation"].replays == []
    assert result.stdout == ""


def test_replay_twice_with_service_says_already_replayed(ops: FakeOps) -> None:
    letter = ops.states["registration"].park(6)
    assert ops.run("replay", letter, "-s", "registration").exit_code == 0
    result = ops.run("replay", letter, "-s", "registration")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: already replayed: registration replayed {letter} —")
    assert ops.states["registration"].replays == [letter]


def test_replay_of_an_event_that_cannot_be_decoded_shows_the_problem(ops: FakeOps) -> None:
    letter = ops.states["notification"].park(3, outcome="undecodable")
    result = ops.run("replay", letter, "-s", "notification")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: notification: Invalid request (HTTP 422)",
        "  letter_id: the parked record cannot be decoded: not JSON",
    ]


def test_replay_at_a_service_that_is_down(ops: FakeOps) -> None:
    result = ops.run(
        "replay", "onboarding.enrolment.v1.dlt:0:1", "-s", "invitation", down=["invitation"]
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("error: cannot reach the invitation service at http://")
    assert "INVITATION_URL" in result.stderr


# --- configuration -----------------------------------------------------------------------


@pytest.mark.parametrize("command", [["list"], ["show", "t:0:1"], ["replay", "t:0:1"]])
def test_without_a_token_it_says_where_to_set_one(ops: FakeOps, command: list[str]) -> None:
    result = ops.run(*command, token=None)
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: no operations token: pass --ops-token, set OPS_API_TOKEN, or run `make up` "
        "(it writes .run/env with the token every service was started with)"
    )
    assert not any(asked(ops, s) for s in EVERY)


def test_the_env_file_then_the_environment_then_the_flag(
    ops: FakeOps, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    letter = ops.states["notification"].park(1)
    (tmp_path / ".run").mkdir()
    (tmp_path / ".run" / "env").write_text(
        "".join(f"{s.upper()}_URL={url}\n" for s, url in ops.urls.items())
        + f"OPS_API_TOKEN={ops.token}\n"
    )
    runner = CliRunner()
    result = runner.invoke(app, ["dlq", "list"])  # all from .run/env
    assert result.exit_code == 0, result.output
    assert letter in result.stdout

    monkeypatch.setenv("OPS_API_TOKEN", "from-the-environment")
    monkeypatch.setenv("ENROLMENT_URL", "http://127.0.0.1:1")  # the environment wins
    result = runner.invoke(app, ["dlq", "list", "-s", "notification"])
    assert result.exit_code == 1
    assert "(from $OPS_API_TOKEN)" in result.stderr
    assert ops.states["notification"].tokens[-1] == "from-the-environment"

    result = runner.invoke(app, ["dlq", "list", "-s", "notification", "--ops-token", ops.token])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["dlq", "list", "-s", "enrolment", "--ops-token", ops.token])
    assert "cannot reach the enrolment service at http://127.0.0.1:1" in result.stderr


def test_an_answer_that_drifted_names_the_route() -> None:
    answer = httpx.Response(200, json=[{"id": "t:0:1", "partition": "zero"}])
    with (
        OpsClient(
            "notification", "http://ops", "token", transport=httpx.MockTransport(lambda _: answer)
        ) as client,
        pytest.raises(ApiDrift) as raised,
    ):
        client.dead_letters()
    assert raised.value.message == (
        "the answer to GET /internal/v1/dead-letters does not match what onboard expects "
        "(DeadLetterList)"
    )
    assert (
        "0.partition: Input should be a valid integer, unable to parse string as an integer"
        in raised.value.details
    )
    assert "0.topic: Field required" in raised.value.details
