"""`onboard report accounts`: the account report of a selection, written to a file: a
printable PDF, or CSV when the file name ends in .csv. `--kind info` (status and dates)
or `--kind credentials` (username and sign-in address; never a password or a link)."""

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import httpx
import typer
from pydantic import ValidationError

from onboarding_cli.api_models import Route, SelectionQuery
from onboarding_cli.client import EnrolmentClient
from onboarding_cli.config import ConfigError, load_config
from onboarding_cli.errors import CliError, describe
from onboarding_cli.output import fail, out
from onboarding_cli.session import (
    ApiKeyOption,
    CohortFilter,
    CourseFilter,
    ImportFilter,
    StatusFilter,
    UrlOption,
    hint,
)

# A report of many thousands is rendered before its first byte: wait for it.
REPORT_TIMEOUT_S = 600.0

app = typer.Typer(no_args_is_help=True, help="Reports of the people of a selection, to print.")


class Kind(StrEnum):
    info = "info"
    credentials = "credentials"


class ReportQuery(SelectionQuery):
    """A selection (the filters of `onboard enrolments`) and the kind of report."""

    kind: Kind | None = None


ACCOUNTS_PDF = Route(
    "GET", "/v1/reports/accounts.pdf", answer_media_type="application/pdf", query=ReportQuery
)
ACCOUNTS_CSV = Route(
    "GET", "/v1/reports/accounts.csv", answer_media_type="text/csv", query=ReportQuery
)


class ReportClient(EnrolmentClient):
    """The enrolment API's reports."""

    def report(self, route: Route, query: ReportQuery) -> Iterator[bytes]:
        """The report's bytes, as the service streams them."""
        response = self._send(self._request(route, query=query), stream=True)
        try:
            yield from response.iter_bytes()
        except httpx.TransportError as error:
            raise CliError(f"the report was cut off: {error}") from error
        finally:
            response.close()


@contextmanager
def report_client(url: str | None, api_key: str | None) -> Iterator[ReportClient]:
    """A configured client; configuration and API failures become one line and an exit code
    (as for every other command)."""
    try:
        config = load_config(url=url, api_key=api_key)
        key = config.require_api_key()
    except ConfigError as error:
        fail(str(error), 2)
    with ReportClient(config.url.value, key, timeout=REPORT_TIMEOUT_S) as client:
        try:
            yield client
        except CliError as error:
            fail(error.message, error.exit_code, hint(error, config), error.details)
        except ValidationError as error:
            fail("the request is not valid", 2, details=describe(error))


def write_atomically(chunks: Iterator[bytes], path: Path) -> int:
    """Write `chunks` to `path` through a temporary file beside it, renamed once complete
    (a failed download leaves no partial file); return the bytes written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    written = 0
    try:
        with os.fdopen(handle, "wb") as file:
            for chunk in chunks:
                file.write(chunk)
                written += len(chunk)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return written


@app.command()
def accounts(
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-o", help="The file to write: CSV if it ends in .csv, else a PDF."
        ),
    ],
    course: CourseFilter = None,
    cohort: CohortFilter = None,
    import_id: ImportFilter = None,
    status: StatusFilter = None,
    kind: Annotated[
        Kind,
        typer.Option(
            case_sensitive=False,
            help="info: status and dates; credentials: username and sign-in address.",
        ),
    ] = Kind.info,
    url: UrlOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """Write the account report of the people of a selection: one row each, with name,
    external id, email and username, and their status and dates (info) or where to sign in
    (credentials)."""
    route = ACCOUNTS_CSV if output.suffix.lower() == ".csv" else ACCOUNTS_PDF
    with report_client(url, api_key) as client:
        query = ReportQuery(
            course=course, cohort=cohort, import_id=import_id, status=status, kind=kind
        )
        written = write_atomically(client.report(route, query), output)
    what = "CSV" if route is ACCOUNTS_CSV else "PDF"
    out().print(f"Wrote the {kind.value} report ({what}, {written:,} bytes) to {output}")
