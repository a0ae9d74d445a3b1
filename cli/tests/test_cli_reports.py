"""`onboard report accounts`, against a small double of the report routes served by
uvicorn: the selection and kind it asks for, the file it writes (PDF, or CSV by the file's
name), failures that leave no file; and that the routes it calls are the enrolment API's
own, as its OpenAPI document says."""

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from onboarding_cli.main import app as cli_app
from onboarding_cli.reports import ACCOUNTS_CSV, ACCOUNTS_PDF, ReportQuery
from typer.testing import CliRunner, Result

KEY = "report-test-key"
PDF = b"%PDF-1.4\n" + b"x" * 300_000 + b"\n%%EOF\n"  # more than one chunk


class Reports:
    """The double: what each request asked, and whether to refuse."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, dict[str, str], str | None]] = []
        self.unavailable = False

    def api(self) -> FastAPI:
        api = FastAPI()

        async def answer(request: Request, body: bytes, media_type: str) -> Response:
            self.asked.append(
                (request.url.path, dict(request.query_params), request.headers.get("authorization"))
            )
            if self.unavailable:
                problem = {
                    "title": "Service unavailable",
                    "status": 503,
                    "detail": "set SIGN_IN_URL",
                }
                return JSONResponse(problem, 503, media_type="application/problem+json")

            async def chunks() -> Any:
                for start in range(0, len(body), 65536):
                    yield body[start : start + 65536]

            return StreamingResponse(chunks(), media_type=media_type)

        @api.get("/v1/reports/accounts.pdf")
        async def pdf(request: Request) -> Response:
            return await answer(request, PDF, "application/pdf")

        @api.get("/v1/reports/accounts.csv")
        async def csv(request: Request) -> Response:
            return await answer(request, b"name,username\r\nAda,ada\r\n", "text/csv")

        return api


def serve(api: FastAPI) -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(api, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 5
    while not server.started:
        assert time.monotonic() < deadline, "the report double did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(5)
        sock.close()


@pytest.fixture(scope="module")
def double() -> Iterator[tuple[str, Reports]]:
    reports = Reports()
    yield from ((url, reports) for url in serve(reports.api()))


@pytest.fixture
def reports(double: tuple[str, Reports]) -> Reports:
    double[1].__init__()  # type: ignore[misc]  # a clean slate for each test
    return double[1]


def run(double: tuple[str, Reports], *args: str) -> Result:
    return CliRunner().invoke(
        cli_app, ["report", "accounts", *args, "--url", double[0], "--api-key", KEY]
    )


def test_a_pdf_report_of_a_selection_is_written_whole(
    double: tuple[str, Reports], reports: Reports, tmp_path: Path
) -> None:
    target = tmp_path / "out" / "ielts.pdf"
    result = run(
        double, "--course", "ielts", "--cohort", "a", "--status", "active", "-o", str(target)
    )

    assert result.exit_code == 0, result.output
    assert target.read_bytes() == PDF
    assert reports.asked == [
        (
            "/v1/reports/accounts.pdf",
            {"course": "ielts", "cohort": "a", "status": "active", "kind": "info"},
            f"Bearer {KEY}",
        )
    ]
    assert f"{len(PDF):,} bytes" in result.output and "info report (PDF" in result.output


def test_a_file_ending_in_csv_gets_the_csv_of_the_credentials_kind(
    double: tuple[str, Reports], reports: Reports, tmp_path: Path
) -> None:
    target = tmp_path / "slips.CSV"
    result = run(double, "-c", "ielts", "-i", "imp-1", "--kind", "credentials", "-o", str(target))

    assert result.exit_code == 0, result.output
    assert target.read_bytes() == b"name,username\r\nAda,ada\r\n"
    [(path, params, _)] = reports.asked
    assert path == "/v1/reports/accounts.csv"
    assert params == {"course": "ielts", "import_id": "imp-1", "kind": "credentials"}


def test_a_refused_report_says_why_and_leaves_no_file(
    double: tuple[str, Reports], reports: Reports, tmp_path: Path
) -> None:
    reports.unavailable = True
    target = tmp_path / "slips.pdf"
    result = run(double, "--kind", "credentials", "-o", str(target))

    assert result.exit_code == 1
    assert "SIGN_IN_URL" in result.output
    assert list(tmp_path.iterdir()) == []


def test_the_report_routes_and_their_parameters_are_the_enrolment_apis() -> None:
    from enrolment.app import create_app
    from enrolment.settings import EnrolmentSettings

    document = create_app(EnrolmentSettings(database_url="postgresql://unused/db")).openapi()
    for route in (ACCOUNTS_PDF, ACCOUNTS_CSV):
        operation = document["paths"][route.path][route.method.lower()]
        documented = {p["name"] for p in operation["parameters"] if p["in"] == "query"}
        assert set(ReportQuery.model_fields) <= documented, route
        assert route.answer_media_type in operation["responses"]["200"]["content"], route
    kinds = document["components"]["schemas"]["ReportKind"]["enum"]
    assert sorted(kinds) == ["credentials", "info"]
