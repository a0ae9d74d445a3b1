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
        {
            "id": f"e{i}",
            "email": f"p{i}@example.org",
            "name": f"Person {i}",
            "external_id": str(i),
            "role": "learner",
            "course": "ielts",
            "cohort": None,
            "status": "active" if i % 2 else "invited",
            "created_at": "2025-01-02T03:04:05Z",
        }
        for i in range(count)
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
    assert result.funnel["enrolled"] == 4 and result.funnel["invited"] == 1
    assert naps == [0.25, 0.25, 0.25]
