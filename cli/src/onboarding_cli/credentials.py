"""`onboard credentials`: accounts made for people who skip the sign-up form, each sent by
email or SMS their sign-in name and a single-use link to set a password (never a password):
people named by enrolment id, everyone not registered in a course, a cohort or an import, or
those of them named by id."""

from enum import StrEnum
from typing import Annotated

import typer

from onboarding_cli import render
from onboarding_cli.api_models import MAX_PEOPLE_IDS, CredentialsIn
from onboarding_cli.output import fail, out
from onboarding_cli.session import ApiKeyOption, UrlOption, enrolment_client


class Channel(StrEnum):
    email = "email"
    sms = "sms"


def credentials(
    enrolment_ids: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="ENROLMENT_ID",
            help=f"The enrolments to send credentials to (at most {MAX_PEOPLE_IDS:,}); "
            "with a group, only those of it.",
            show_default=False,
        ),
    ] = None,
    course: Annotated[
        str | None,
        typer.Option("--course", "-c", help="Everyone in this course who has not registered."),
    ] = None,
    cohort: Annotated[str | None, typer.Option("--cohort", "-k", help="Only this cohort.")] = None,
    import_id: Annotated[
        str | None, typer.Option("--import", "-i", help="Only the people of this import.")
    ] = None,
    channel: Annotated[
        Channel | None,
        typer.Option(
            case_sensitive=False,
            help="Send every one by email or by SMS. [dim]Default: each person's own.[/]",
            show_default=False,
        ),
    ] = None,
    url: UrlOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """Make the accounts of people who have not registered and send them their sign-in name
    and a link to set a password; the link replaces any invitation link sent before. Someone
    with an account in the tenant already is active at once instead."""
    ids = enrolment_ids or None  # no ENROLMENT_ID given: a group alone
    if ids is None and all(value is None for value in (course, cohort, import_id)):
        fail("name one or more ENROLMENT_IDs, or a group: --course (--cohort, --import)", 2)
    if ids is not None and len(ids) > MAX_PEOPLE_IDS:
        fail(
            f"{len(ids):,} enrolment ids: at most {MAX_PEOPLE_IDS:,} in one request",
            2,
            "name a group instead, or send them in parts",
        )
    with enrolment_client(url, api_key) as client:  # a request the API would refuse: exit 2
        whom = CredentialsIn(
            course=course,
            cohort=cohort,
            import_id=import_id,
            ids=ids,
            channel=channel.value if channel else None,
        )
        sent = client.send_credentials(whom)
    out().print(render.credentials_line(sent))
