"""What the commands share: the connection options, the common filters, and a configured
client whose failures become one line on stderr and an exit code."""

from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import Annotated

import typer
from pydantic import ValidationError

from onboarding_cli.client import EnrolmentClient
from onboarding_cli.config import Config, ConfigError, load_config
from onboarding_cli.errors import ApiError, CliError, describe
from onboarding_cli.output import fail

CONNECTION = "Connection (flags > environment > .run/env)"
UrlOption = Annotated[
    str | None,
    typer.Option(
        "--url",
        help="Enrolment service URL [dim](ENROLMENT_URL)[/]",
        rich_help_panel=CONNECTION,
        show_default=False,
    ),
]
ApiKeyOption = Annotated[
    str | None,
    typer.Option(
        "--api-key",
        help="Tenant API key [dim](ONBOARDING_API_KEY)[/]",
        rich_help_panel=CONNECTION,
        show_default=False,
    ),
]
CourseFilter = Annotated[str | None, typer.Option("--course", "-c", help="Only this course.")]
CohortFilter = Annotated[str | None, typer.Option("--cohort", "-k", help="Only this cohort.")]
StatusFilter = Annotated[
    str | None,
    typer.Option(
        "--status", "-s", help="enrolled, invited, active, pending_activation, expired, cancelled"
    ),
]
ImportFilter = Annotated[
    str | None, typer.Option("--import", "-i", help="Only the people of this import.")
]


class Invite(StrEnum):
    auto = "auto"
    manual = "manual"


def hint(error: CliError, config: Config) -> str | None:
    if isinstance(error, ApiError) and error.status_code == 401 and config.api_key:
        return f"check the API key (from {config.api_key.source})"
    if isinstance(error, ApiError) and error.status_code == 403:
        return "this key may not do that"
    return error.hint


@contextmanager
def enrolment_client(url: str | None, api_key: str | None) -> Iterator[EnrolmentClient]:
    """A configured client; configuration and API failures become one line and an exit code."""
    try:
        config = load_config(url=url, api_key=api_key)
        key = config.require_api_key()
    except ConfigError as error:
        fail(str(error), 2)
    with EnrolmentClient(config.url.value, key) as client:
        try:
            yield client
        except CliError as error:
            fail(error.message, error.exit_code, hint(error, config), error.details)
        except ValidationError as error:  # a request the API would refuse, caught before
            fail("the request is not valid", 2, details=describe(error))
