"""`onboard`'s commands against a real HTTP server: a test double of the enrolment API."""

from __future__ import annotations

import hashlib
import os
import re
import socket
import tracemalloc
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the fixture's type; conftest is not importable at run time
    from conftest import FakeApi

GOOD = [f"{c}@example.org,{i},Person {c.upper()}" for i, c in enumerate("abcd", start=1)]


def write_csv(path: Path, rows: list[str]) -> Path:
    path.write_text("email,id,name\n" + "".join(f"{row}\n" for row in rows))
    return path


def test_import_prints_the_summary_and_each_bad_row_by_line(api: FakeApi, tmp_path: Path) -> None:
    people = write_csv(
        tmp_path / "people.csv", [GOOD[0], "not-an-email,2,Bo", GOOD[1], "e@example.org,5,"]
    )
    result = api.run(
        "import", str(people), "--course", "ielts", "--cohort", "2025", "--invite", "manual"
    )
    assert result.exit_code == 0, result.output
    summary = next(iter(api.state.imports.values())).summary
    assert summary["id"] in result.output
    assert re.search(r"enrolled\s+2", result.output)
    assert re.search(r"failed\s+2", result.output)
    assert re.search(r"\b3\s+email\s+not an email address\s+not-an-email,2,Bo", result.output)
    assert re.search(r"\b5\s+name\s+is empty", result.output)
    upload = api.state.uploads[0]
    assert upload.content_type == "text/csv"
    assert upload.params == {"course": "ielts", "cohort": "2025", "invite": "manual"}


def test_import_follow_draws_the_stages_then_the_errors_and_the_final_funnel(
    api: FakeApi, tmp_path: Path
) -> None:
    people = write_csv(tmp_path / "people.csv", [*GOOD, "nobody,9,No One"])
    result = api.run("import", str(people), "--course", "ielts", "--follow", "--interval", "0.01")
    assert result.exit_code == 0, result.output
    out = result.output
    for stage in ("enrolled", "invited", "emailed", "registered"):
        assert re.search(rf"{stage} .*\d+/4", out), stage
    assert "1 failed" in out
    # the errors come after the progress, the final funnel last
    assert out.index("registered") < out.index("1 row not imported") < out.index("final funnel")
    assert re.search(r"\b6\s+email\s+not an email address", out)
    final = out[out.index("final funnel") :]
    assert re.search(r"invited\s+4\s+100\.0%", final)
    assert re.search(r"emailed\s+3\s+75\.0%", final)
    assert re.search(r"failed\s+1\s+25\.0%", final)
    # it stopped once the funnel held still, not at the timeout
    (found,) = api.state.imports.values()
    assert found.polls == 7


def test_follow_gives_up_at_the_timeout_with_exit_code_1(api: FakeApi, tmp_path: Path) -> None:
    people = write_csv(tmp_path / "people.csv", GOOD)
    result = api.run(
        "import", str(people), "--course", "stuck", "-f", "--interval", "0.01", "--timeout", "0.2"
    )
    assert result.exit_code == 1
    assert "final funnel" in result.stdout
    assert "not settled after 0.2s" in result.stderr
    assert "onboard funnel --import" in result.stderr


def test_at_most_50_errors_are_shown_with_where_to_get_the_rest(
    api: FakeApi, tmp_path: Path
) -> None:
    people = write_csv(tmp_path / "bad.csv", [f"bad{i},{i},X" for i in range(60)])
    result = api.run("import", str(people), "--course", "c", "--follow", "--interval", "0.01")
    assert result.exit_code == 0, result.output
    assert "Nobody was enrolled" in result.output
    assert re.search(r"\b51\s+email", result.output)  # row 50: the 50th shown
    assert not re.search(r"\b52\s+email", result.output)
    import_id = next(iter(api.state.imports))
    assert "and 10 more" in result.output
    assert f"{api.url}/v1/imports/{import_id}/errors.csv" in result.output


def test_the_upload_is_streamed(api: FakeApi, tmp_path: Path) -> None:
    big = tmp_path / "big.csv"
    with big.open("wb") as file:
        file.write(b"email,id,name\n")
        for start in range(0, 300_000, 10_000):
            file.write(
                b"".join(
                    b"p%d@example.org,%d,Person %d\n" % (i, i, i)
                    for i in range(start, start + 10_000)
                )
            )
        file.write(os.urandom(1 << 20).hex().encode() + b"\n")  # and some bytes of no pattern
    size = big.stat().st_size
    assert size > 12 << 20

    # a first, small import loads every module, so only the upload itself is measured
    assert api.run("import", str(write_csv(tmp_path / "one.csv", GOOD)), "-c", "x").exit_code == 0
    api.state.uploads.clear()
    tracemalloc.start()
    try:
        result = api.run("import", str(big), "--course", "big")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert result.exit_code == 0, result.output
    (upload,) = api.state.uploads
    assert upload.size == size
    assert upload.sha256 == hashlib.sha256(big.read_bytes()).hexdigest()
    assert upload.content_length == str(size)  # streamed, yet with its length announced
    print(f"peak traced memory during the upload: {peak:,} bytes")
    assert peak < size / 4, f"the upload held {peak:,} bytes in memory at once"


def test_a_refused_key_prints_the_api_detail_and_exits_1(api: FakeApi, tmp_path: Path) -> None:
    result = api.run("funnel", key="wrong-key")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "error: unknown API key (HTTP 401) — check the API key (from --api-key)"
    )
    assert "Traceback" not in result.output


def test_a_refused_key_on_a_big_upload_still_shows_the_detail(api: FakeApi, tmp_path: Path) -> None:
    big = tmp_path / "big.csv"
    big.write_bytes(b"email,id,name\n" + b"x@example.org,1,X\n" * 300_000)
    result = api.run("import", str(big), "--course", "c", key="wrong-key")
    assert "Traceback" not in result.output
    assert "unknown API key" in result.stderr, result.output
    assert result.exit_code == 1


def test_an_unknown_import_is_a_404_with_the_detail(api: FakeApi) -> None:
    result = api.run("status", "no-such-id")
    assert result.exit_code == 1
    assert "error: no such import (HTTP 404)" in result.stderr


def test_an_unreachable_service_exits_2_with_what_to_do() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    from onboarding_cli.main import app
    from typer.testing import CliRunner

    result = CliRunner().invoke(
        app, ["funnel", "--url", f"http://127.0.0.1:{port}", "--api-key", "k"]
    )
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert "\n" not in line
    assert line.startswith(f"error: cannot reach the enrolment service at http://127.0.0.1:{port}")
    assert "make up" in line
    assert "Traceback" not in result.output


def test_status_shows_the_summary_and_the_errors(api: FakeApi, tmp_path: Path) -> None:
    people = write_csv(tmp_path / "people.csv", [GOOD[0], "oops,2,Bo"])
    assert api.run("import", str(people), "--course", "ielts").exit_code == 0
    import_id = next(iter(api.state.imports))
    result = api.run("status", import_id)
    assert result.exit_code == 0, result.output
    assert import_id in result.output
    assert "completed with errors" in result.output
    assert re.search(r"\b3\s+email\s+not an email address\s+oops,2,Bo", result.output)


def test_funnel_shows_counts_and_shares_of_the_enrolled(api: FakeApi) -> None:
    result = api.run("funnel", "--course", "ielts", "--cohort", "2025")
    assert result.exit_code == 0, result.output
    assert "funnel — course ielts, cohort 2025" in result.output
    assert re.search(r"enrolled\s+200\s+100\.0%", result.output)
    assert re.search(r"emailed\s+150\s+75\.0%", result.output)
    assert re.search(r"active\s+40\s+20\.0%", result.output)
    assert ("/v1/funnel", {"course": "ielts", "cohort": "2025"}) in api.state.requests


def _enrol(api: FakeApi, count: int) -> None:
    api.state.enrolments = [
        api.state.enrolment(i, status="active" if i % 2 else "invited") for i in range(count)
    ]


def test_enrolments_follows_the_cursor_up_to_the_limit(api: FakeApi) -> None:
    _enrol(api, 120)
    result = api.run(
        "enrolments", "--status", "active", "--course", "ielts", "-q", "person", "--limit", "40"
    )
    assert result.exit_code == 0, result.output
    emails = re.findall(r"p\d+@example\.org", result.output)
    assert emails == [f"p{i}@example.org" for i in range(1, 80, 2)]  # 40, over two pages
    assert "40 shown; there are more" in result.output
    calls = [params for path, params in api.state.requests if path == "/v1/enrolments"]
    assert [c.get("cursor") for c in calls] == [None, "25"]
    assert calls[0] == {"status": "active", "course": "ielts", "q": "person", "limit": "40"}


def test_enrolments_shows_50_by_default_and_stops_at_the_last_page(api: FakeApi) -> None:
    _enrol(api, 30)
    result = api.run("enrolments")
    assert result.exit_code == 0, result.output
    assert len(re.findall(r"p\d+@example\.org", result.output)) == 30
    assert "30 shown" in result.output and "more" not in result.output


def test_enrolments_csv_streams_the_export(api: FakeApi) -> None:
    _enrol(api, 3)
    result = api.run("enrolments", "--csv", "--import", "imp-1")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "id,email,name,status",
        "e0,p0@example.org,Person 0,invited",
        "e1,p1@example.org,Person 1,active",
        "e2,p2@example.org,Person 2,invited",
    ]
    assert ("/v1/enrolments.csv", {"import_id": "imp-1"}) in api.state.requests


def test_the_env_file_is_used_when_no_flags_are_given(api: FakeApi, tmp_path: Path) -> None:
    (tmp_path / ".run").mkdir()
    (tmp_path / ".run" / "env").write_text(
        f"ENROLMENT_URL={api.url}\nONBOARDING_API_KEY={api.key}\n"
    )
    from onboarding_cli.main import app
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, ["funnel"])
    assert result.exit_code == 0, result.output
    assert "200" in result.output


def test_ctrl_c_stops_following_and_keeps_the_last_funnel(api: FakeApi, tmp_path: Path) -> None:
    import io

    from onboarding_cli.client import EnrolmentClient
    from onboarding_cli.follow import follow_import
    from rich.console import Console

    people = write_csv(tmp_path / "people.csv", GOOD)
    assert api.run("import", str(people), "--course", "stuck").exit_code == 0
    import_id = next(iter(api.state.imports))
    naps: list[float] = []

    def sleep(seconds: float) -> None:  # the person presses Ctrl-C during the third wait
        naps.append(seconds)
        if len(naps) == 3:
            raise KeyboardInterrupt

    with EnrolmentClient(api.url, api.key) as client:
        result = follow_import(
            client, Console(file=io.StringIO()), import_id, 4, interval=0.25, sleep=sleep
        )
    assert result.outcome == "interrupted"
    assert result.funnel is not None
    assert result.funnel.enrolled == 4 and result.funnel.invited == 1
    assert naps == [0.25, 0.25, 0.25]


def test_follow_settles_for_a_tenant_that_invites_by_hand(api: FakeApi, tmp_path: Path) -> None:
    """Nobody is invited by a manual-invite import: `--follow` settles once the import is
    done and the funnel holds still, instead of waiting for invitations that never come."""
    api.state.invite_policy = "manual"  # the tenant's; no --invite given
    people = write_csv(tmp_path / "people.csv", GOOD)
    result = api.run("import", str(people), "-c", "ielts", "-f", "--interval", "0.01")
    assert result.exit_code == 0, result.output
    assert re.search(r"invites\s+by hand \(manual\)", result.output)
    assert "invite by hand" in result.output
    final = result.output[result.output.index("final funnel") :]
    assert re.search(r"enrolled\s+4\s+100\.0%", final)
    assert re.search(r"invited\s+0\s+0\.0%", final)
    assert "POST /v1/enrolments:invite" in result.output
    (found,) = api.state.imports.values()
    assert found.polls == 3  # the funnel held still for three polls, then it was settled
    assert "invite" not in api.state.uploads[0].params  # the tenant's policy, not a flag


def test_follow_settles_with_invite_manual_on_an_auto_tenant(api: FakeApi, tmp_path: Path) -> None:
    people = write_csv(tmp_path / "people.csv", GOOD)
    result = api.run(
        "import", str(people), "-c", "ielts", "--invite", "manual", "-f", "--interval", "0.01"
    )
    assert result.exit_code == 0, result.output
    (found,) = api.state.imports.values()
    assert found.polls == 3


def test_manual_settling_waits_for_the_emails_of_people_invited_by_hand() -> None:
    from onboarding_cli.api_models import FunnelOut
    from onboarding_cli.follow import Settling

    def funnel(invited: int, emailed: int, failed: int = 0) -> FunnelOut:
        return FunnelOut(
            enrolled=4,
            invited=invited,
            emailed=emailed,
            registered=0,
            active=0,
            expired=0,
            failed=failed,
            cancelled=0,
        )

    manual, auto = Settling(manual=True), Settling()
    assert manual.caught_up(funnel(0, 0))  # nobody invited yet: nothing can move on its own
    assert not manual.caught_up(funnel(2, 1))  # two invited by hand, one email still to go
    assert manual.caught_up(funnel(2, 1, failed=1))
    assert not auto.caught_up(funnel(0, 0))
    assert not auto.caught_up(funnel(4, 3))
    assert auto.caught_up(funnel(4, 3, failed=1))
    settling = Settling(manual=True)
    assert not any(settling.observe(funnel(0, 0), import_done=False) for _ in range(5))
    assert [settling.observe(funnel(0, 0)) for _ in range(1)] == [True]  # held still already


def test_follow_waits_for_an_import_still_processing(api: FakeApi, tmp_path: Path) -> None:
    import io

    from onboarding_cli.client import EnrolmentClient
    from onboarding_cli.follow import follow_import
    from rich.console import Console

    api.state.invite_policy = "manual"
    people = write_csv(tmp_path / "people.csv", GOOD)
    assert api.run("import", str(people), "--course", "ielts").exit_code == 0
    (import_id, found) = next(iter(api.state.imports.items()))
    found.pending = 5
    with EnrolmentClient(api.url, api.key) as client:
        result = follow_import(
            client,
            Console(file=io.StringIO()),
            import_id,
            0,
            manual=True,
            import_done=False,
            interval=0.001,
        )
    assert result.outcome == "settled"
    assert found.polls == 6  # five while processing, then as soon as it was done


def test_an_api_refusal_shows_the_problem_detail_and_each_field(
    api: FakeApi, tmp_path: Path
) -> None:
    people = write_csv(tmp_path / "people.csv", GOOD)
    result = api.run("import", str(people), "--course", "ielts", "--cohort", "nope")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [  # the detail only repeats the field: the title
        "error: Invalid request (HTTP 422)",
        "  cohort: unknown cohort 'nope' in course 'ielts'",
    ]


def test_a_problem_shows_its_detail_and_then_each_bad_field() -> None:
    import httpx
    import pytest
    from onboarding_cli.api_models import FunnelQuery
    from onboarding_cli.client import EnrolmentClient
    from onboarding_cli.errors import ApiError

    problem = {
        "type": "about:blank",
        "title": "Invalid request",
        "status": 422,
        "detail": "two columns are refused",
        "errors": [{"field": "email", "reason": "missing"}, {"field": "name", "reason": "empty"}],
    }
    answer = httpx.Response(422, json=problem, headers={"content-type": "application/problem+json"})
    transport = httpx.MockTransport(lambda _: answer)
    with (
        EnrolmentClient("http://api", "k", transport=transport) as client,
        pytest.raises(ApiError) as raised,
    ):
        client.funnel(FunnelQuery())
    assert raised.value.message == "two columns are refused (HTTP 422)"
    assert raised.value.details == ["email: missing", "name: empty"]


def test_a_request_the_api_would_refuse_is_refused_before_it_is_sent(
    api: FakeApi, tmp_path: Path
) -> None:
    people = write_csv(tmp_path / "people.csv", GOOD)
    result = api.run("import", str(people), "--course", "", "--cohort", "x" * 201)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: the request is not valid",
        "  course: String should have at least 1 character",
        "  cohort: String should have at most 200 characters",
    ]
    assert api.state.requests == []


def test_an_invalid_request_shows_each_field_the_api_named(api: FakeApi) -> None:
    import httpx

    with httpx.Client(base_url=api.url) as http:  # what a request without a course gets
        answer = http.post(
            "/v1/imports", content=b"email,id,name\n", headers={"Authorization": "Bearer test-key"}
        )
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["errors"] == [{"field": "course", "reason": "Field required"}]
    assert answer.json()["detail"] == "course: Field required"


def test_an_answer_that_drifted_names_the_route_and_the_fields() -> None:
    import httpx
    import pytest
    from onboarding_cli.api_models import FunnelQuery
    from onboarding_cli.client import EnrolmentClient
    from onboarding_cli.errors import ApiDrift

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"enrolled": 3, "invited": "many", "emailed": 1})

    transport = httpx.MockTransport(answer)
    with (
        EnrolmentClient("http://api", "k", transport=transport) as client,
        pytest.raises(ApiDrift) as raised,
    ):
        client.funnel(FunnelQuery(import_id="i"))
    error = raised.value
    assert error.exit_code == 1
    assert error.message == (
        "the answer to GET /v1/funnel does not match what onboard expects (FunnelOut)"
    )
    assert error.details[0] == (
        "invited: Input should be a valid integer, unable to parse string as an integer"
    )
    assert "registered: Field required" in error.details
    assert error.details[-1] == "… and 1 more"  # five shown, of six


def test_an_error_of_a_service_before_problem_details_still_shows_its_detail() -> None:
    import httpx
    import pytest
    from onboarding_cli.client import EnrolmentClient
    from onboarding_cli.errors import ApiError

    answers = iter(
        [
            httpx.Response(401, json={"detail": "unknown API key"}),
            httpx.Response(422, json={"detail": {"field": "cohort", "reason": "unknown"}}),
            httpx.Response(502, text="<html>Bad gateway</html>"),
        ]
    )
    with EnrolmentClient(
        "http://api", "k", transport=httpx.MockTransport(lambda _: next(answers))
    ) as client:
        messages = []
        for _ in range(3):
            with pytest.raises(ApiError) as raised:
                client.get_settings()
            messages.append(raised.value.message)
    assert messages == [
        "unknown API key (HTTP 401)",
        "cohort: unknown (HTTP 422)",
        "<html>Bad gateway</html> (HTTP 502)",
    ]


def test_enrolments_csv_with_a_limit_stops_after_that_many_records(api: FakeApi) -> None:
    _enrol(api, 5)
    api.state.enrolments[0]["name"] = 'Ada "the first"\nLovelace'  # a record over two lines
    result = api.run("enrolments", "--csv", "--limit", "2")
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == (
        b"id,email,name,status\r\n"
        b'e0,p0@example.org,"Ada ""the first""\nLovelace",invited\r\n'
        b"e1,p1@example.org,Person 1,active\r\n"
    )
    assert ("/v1/enrolments.csv", {}) in api.state.requests  # the export takes no limit


def test_settings_shows_and_sets_the_invite_policy(api: FakeApi) -> None:
    result = api.run("settings")
    assert result.exit_code == 0, result.output
    assert re.search(r"invite policy\s+auto\s+invited at enrolment", result.output)
    result = api.run("settings", "--invite", "manual")
    assert result.exit_code == 0, result.output
    assert re.search(r"invite policy\s+manual\s+invited by hand", result.output)
    assert api.state.invite_policy == "manual"
