"""The commands of the invitation lifecycle: the invitations people were sent, a resend, a
reminder, and the tenant's settings that rule them (`onboard settings`)."""

from enum import StrEnum
from typing import Annotated

import typer

from onboarding_cli import render
from onboarding_cli.api_models import InvitationQuery, RemindIn, SettingsChanges
from onboarding_cli.output import fail, out
from onboarding_cli.session import (
    ApiKeyOption,
    CohortFilter,
    CourseFilter,
    ImportFilter,
    Invite,
    UrlOption,
    enrolment_client,
)

EnrolmentId = Annotated[str, typer.Argument(help="The enrolment's id.", show_default=False)]


class Activation(StrEnum):
    auto = "auto"
    admin = "admin"


class UsernameSource(StrEnum):
    chosen = "chosen"
    email = "email"


class Status(StrEnum):
    pending = "pending"
    accepted = "accepted"
    expired = "expired"
    revoked = "revoked"


def invitations(
    status: Annotated[
        Status | None,
        typer.Option("--status", "-s", case_sensitive=False, help="Only invitations in it."),
    ] = None,
    course: CourseFilter = None,
    cohort: CohortFilter = None,
    import_id: ImportFilter = None,
    email: Annotated[str | None, typer.Option("--email", "-e", help="Only this person's.")] = None,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, help="At most this many rows.")
    ] = 50,
    url: UrlOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """List invitations: their status, links sent, reminders, when the last link expires."""
    selection = InvitationQuery(
        status=status.value if status else None,
        course=course,
        cohort=cohort,
        import_id=import_id,
        email=email,
    )
    with enrolment_client(url, api_key) as client:
        items, more = client.list_invitations(selection, limit)
    console = out()
    if not items:
        console.print("[dim]No invitations match.[/]")
        return
    console.print(render.invitations_table(items))
    shown = f"{len(items):,} shown"
    console.print(
        f"[dim]{shown}; there are more — raise --limit[/]" if more else f"[dim]{shown}[/]"
    )


def resend(enrolment_id: EnrolmentId, url: UrlOption = None, api_key: ApiKeyOption = None) -> None:
    """Send a person a new link now; every earlier link of theirs stops working."""
    with enrolment_client(url, api_key) as client:
        invitation = client.resend(enrolment_id)
    out().print(render.invitation_grid(invitation, title="new link sent"))


def remind(
    course: Annotated[
        str | None, typer.Option("--course", "-c", help="Remind this course's people.")
    ] = None,
    cohort: Annotated[
        str | None, typer.Option("--cohort", "-k", help="Only this cohort of the course.")
    ] = None,
    import_id: Annotated[
        str | None, typer.Option("--import", "-i", help="Only this import's people.")
    ] = None,
    enrolment: Annotated[
        str | None, typer.Option("--enrolment", help="Remind this one person instead.")
    ] = None,
    url: UrlOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """Remind people invited and not registered yet: a fresh link with reminder wording.
    Nobody reminded in the last hour is reminded again."""
    if (enrolment is None) == (course is None):
        fail("name a course (--course, and --cohort or --import) or one --enrolment", 2)
    if enrolment is not None and (cohort or import_id):
        fail("--cohort and --import go with --course, not --enrolment", 2)
    console = out()
    with enrolment_client(url, api_key) as client:
        if enrolment is not None:
            person = client.remind_one(enrolment)
            console.print(f"reminder asked for {person.name} <{person.email}>")
            return
        assert course is not None
        reminded = client.remind(RemindIn(course=course, cohort=cohort, import_id=import_id))
    console.print(render.reminded_line(reminded))


def _hours(value: str) -> float | None:
    """`off` (no scheduled reminders), or a number of hours."""
    if value.strip().lower() == "off":
        return None
    try:
        return float(value)
    except ValueError:
        raise typer.BadParameter("a number of hours, or off") from None


def settings(
    invite: Annotated[
        Invite | None,
        typer.Option(
            case_sensitive=False,
            help="Set the tenant's invite policy: auto (at enrolment) or manual (by hand).",
            show_default=False,
        ),
    ] = None,
    link_hours: Annotated[
        float | None,
        typer.Option("--link-hours", help="How long each link stays usable, in hours."),
    ] = None,
    max_resends: Annotated[
        int | None, typer.Option("--max-resends", help="Resends one invitation may have.")
    ] = None,
    self_service: Annotated[
        bool | None,
        typer.Option(
            "--self-service/--no-self-service",
            help="Whether people may ask for a new link from the page of a dead one.",
            show_default=False,
        ),
    ] = None,
    remind_after: Annotated[
        str | None,
        typer.Option(
            "--remind-after",
            metavar="HOURS|off",
            help="Remind people this long after their last link; off: no schedule.",
        ),
    ] = None,
    max_reminders: Annotated[
        int | None, typer.Option("--max-reminders", help="Scheduled reminders one person gets.")
    ] = None,
    activation: Annotated[
        Activation | None,
        typer.Option(
            case_sensitive=False,
            help="auto: accounts are active once registered; admin: each waits for "
            "`onboard activate`.",
            show_default=False,
        ),
    ] = None,
    username_source: Annotated[
        UsernameSource | None,
        typer.Option(
            "--username-source",
            case_sensitive=False,
            help="chosen: people pick a username; email: their email is their username.",
            show_default=False,
        ),
    ] = None,
    url: UrlOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """Show the tenant's settings, or change those given (the others stay as they are)."""
    given: dict[str, object] = {
        "invite_policy": invite.value if invite else None,
        "invitation_ttl_hours": link_hours,
        "max_resends": max_resends,
        "self_service_resend": self_service,
        "max_reminders": max_reminders,
        "activation": activation.value if activation else None,
        "username_source": username_source.value if username_source else None,
    }
    changes: dict[str, object] = {k: v for k, v in given.items() if v is not None}
    if remind_after is not None:
        changes["reminder_after_hours"] = _hours(remind_after)  # None turns the schedule off
    with enrolment_client(url, api_key) as client:
        if changes:
            current = client.put_settings(SettingsChanges.model_validate(changes))
        else:
            current = client.get_settings()
    out().print(render.settings_grid(current))
