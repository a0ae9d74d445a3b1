"""`onboard activate`: an admin's approval of registered accounts, for a tenant that
activates them by hand (`onboard settings --activation admin`): one person, or everyone
waiting in a course, a cohort or an import."""

from typing import Annotated

import typer

from onboarding_cli import render
from onboarding_cli.api_models import ActivateIn
from onboarding_cli.output import fail, out
from onboarding_cli.session import ApiKeyOption, UrlOption, enrolment_client


def activate(
    enrolment_id: Annotated[
        str | None,
        typer.Argument(help="The enrolment to activate (or name a group).", show_default=False),
    ] = None,
    course: Annotated[
        str | None, typer.Option("--course", "-c", help="Everyone waiting in this course.")
    ] = None,
    cohort: Annotated[str | None, typer.Option("--cohort", "-k", help="Only this cohort.")] = None,
    import_id: Annotated[
        str | None, typer.Option("--import", "-i", help="Only the people of this import.")
    ] = None,
    url: UrlOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """Activate people who registered and wait for approval; their accounts are active
    (and their course open) once the registration service has done it."""
    group = (course, cohort, import_id)
    if (enrolment_id is None) == all(value is None for value in group):
        fail("name one ENROLMENT_ID, or a group: --course (--cohort, --import)", 2)
    console = out()
    with enrolment_client(url, api_key) as client:
        if enrolment_id is not None:
            person = client.activate_one(enrolment_id)
            console.print(f"activation asked for {person.name} <{person.email}>")
            return
        activated = client.activate(ActivateIn(course=course, cohort=cohort, import_id=import_id))
    console.print(render.activated_line(activated))
