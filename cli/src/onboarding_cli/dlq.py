"""`onboard dlq`: the events the services' consumers parked (dead letters): list, show, replay.

Every service answers the operations API for the events its own consumer parked, so `list`
asks all four at once (or the one `--service` names) and `show` and `replay` first find the
service that parked the letter. A service that cannot be asked is reported by name, after
what the others answered.
"""

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, NoReturn, TypeVar

import typer
from pydantic import ValidationError
from rich.text import Text

from onboarding_cli import render
from onboarding_cli.config import SERVICES, ConfigError, OpsConfig, load_ops_config
from onboarding_cli.errors import ApiDrift, ApiError, CliError
from onboarding_cli.ops_client import OpsClient
from onboarding_cli.ops_models import DeadLetterDetail, DeadLetterOut, LetterPath
from onboarding_cli.output import fail, out, report

T = TypeVar("T")


class Service(StrEnum):
    enrolment = "enrolment"
    invitation = "invitation"
    notification = "notification"
    registration = "registration"


assert tuple(Service) == SERVICES, "the --service choices are the services"

app = typer.Typer(
    name="dlq",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_show_locals=False,  # locals would include the token
    help="Dead letters: the events a service's consumer could not apply, and parked.\n\n"
    "Each service answers for its own consumer. Needs the operations token: "
    "[cyan].run/env[/], then OPS_API_TOKEN, then --ops-token.",
)

CONNECTION = "Connection (flags > environment > .run/env)"
ServiceOption = Annotated[
    Service | None,
    typer.Option(
        "--service",
        "-s",
        case_sensitive=False,
        help="Ask only this service. [dim]Default: every one.[/]",
        show_default=False,
    ),
]
OpsTokenOption = Annotated[
    str | None,
    typer.Option(
        "--ops-token",
        help="Operations token [dim](OPS_API_TOKEN)[/]",
        rich_help_panel=CONNECTION,
        show_default=False,
    ),
]
LetterId = Annotated[
    str,
    typer.Argument(
        help="The dead letter's id, topic:partition:offset, as `onboard dlq list` shows it.",
        show_default=False,
    ),
]


@dataclass(frozen=True)
class Ops:
    """The operations API of the services asked, with the token."""

    config: OpsConfig
    token: str
    services: tuple[str, ...]

    def client(self, service: str) -> OpsClient:
        return OpsClient(service, self.config.urls[service].value, self.token)

    def each(self, call: Callable[[OpsClient], T]) -> dict[str, T | CliError]:
        """`call` on every service asked, all at once: each one's answer or its failure,
        in the order of `services`."""

        def one(service: str) -> T | CliError:
            try:
                with self.client(service) as client:
                    return call(client)
            except CliError as error:
                return error

        with ThreadPoolExecutor(max_workers=len(self.services)) as pool:
            return dict(zip(self.services, pool.map(one, self.services), strict=True))

    def failure(self, service: str, error: CliError) -> tuple[str, str | None, list[str]]:
        """How `error` of `service` is reported: by the service's name, with what to do."""
        message = error.message
        if isinstance(error, ApiError | ApiDrift):  # the others name the service already
            message = f"{service}: {message}"
        hint = error.hint
        if isinstance(error, ApiError) and error.status_code == 401 and self.config.token:
            hint = f"check the operations token (from {self.config.token.source})"
        return message, hint, error.details

    def report(self, service: str, error: CliError) -> None:
        report(*self.failure(service, error))

    def fail(self, service: str, error: CliError) -> NoReturn:
        message, hint, details = self.failure(service, error)
        fail(message, 1, hint, details)


def _ops(service: Service | None, ops_token: str | None) -> Ops:
    try:
        config = load_ops_config(ops_token=ops_token)
        token = config.require_token()
    except ConfigError as error:
        fail(str(error), 2)
    return Ops(config, token, (service.value,) if service else SERVICES)


def _check_id(letter_id: str) -> None:
    try:
        LetterPath(letter_id=letter_id)
    except ValidationError:
        fail(
            f"{letter_id!r} is not a dead letter's id",
            2,
            "an id is topic:partition:offset, as `onboard dlq list` shows it",
        )


def _utc(at: datetime) -> datetime:
    return at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)


def _find(ops: Ops, letter_id: str) -> tuple[str, DeadLetterDetail]:
    """The service that parked `letter_id`, and the letter: each service asked is asked
    (the id says where the letter is parked, not which consumer parked it)."""
    answers = ops.each(lambda client: client.dead_letter(letter_id))
    errors: dict[str, CliError] = {}
    for service, answer in answers.items():
        if not isinstance(answer, CliError):
            return service, answer
        errors[service] = answer
    if len(errors) == 1:  # --service
        ((service, error),) = errors.items()
        message, hint, details = ops.failure(service, error)
        if isinstance(error, ApiError) and error.status_code == 404:
            hint = "without --service every service is asked; `onboard dlq list` shows them"
        fail(message, 1, hint, details)
    missing = [s for s, e in errors.items() if isinstance(e, ApiError) and e.status_code == 404]
    if len(missing) == len(errors):
        fail(
            f"no service parked {letter_id} (asked {', '.join(missing)})",
            1,
            "`onboard dlq list` shows the dead letters",
        )
    for service, error in errors.items():
        if service not in missing:
            ops.report(service, error)
    unasked = ", ".join(s for s in errors if s not in missing)
    if missing:
        fail(f"{', '.join(missing)} did not park {letter_id}, and {unasked} could not be asked", 1)
    fail(f"could not ask any service about {letter_id}", 1)


@app.command("list")
def list_(service: ServiceOption = None, ops_token: OpsTokenOption = None) -> None:
    """The dead letters of every service (or one), oldest first."""
    ops = _ops(service, ops_token)
    answers = ops.each(lambda client: client.dead_letters())
    failed: Mapping[str, CliError] = {s: a for s, a in answers.items() if isinstance(a, CliError)}
    letters: list[tuple[str, DeadLetterOut]] = [
        (s, letter)
        for s, answer in answers.items()
        if not isinstance(answer, CliError)
        for letter in answer
    ]
    console = out()
    if letters:
        letters.sort(key=lambda pair: (_utc(pair[1].parked_at), SERVICES.index(pair[0])))
        console.print(render.dead_letters_table(letters))
        waiting = sum(1 for _, letter in letters if letter.replayed_at is None)
        console.print(
            f"[dim]{len(letters):,} dead letter{'s' if len(letters) != 1 else ''}, "
            f"{waiting:,} not replayed. The event and the whole error: onboard dlq show ID; "
            "once the cause is fixed: onboard dlq replay ID[/]"
        )
    elif len(failed) < len(answers):
        answered = [s for s in answers if s not in failed]
        console.print("no dead letters" + (f" in {', '.join(answered)}" if failed else ""))
    for name, error in failed.items():
        ops.report(name, error)
    if failed:
        raise typer.Exit(1)


@app.command()
def show(
    letter_id: LetterId, service: ServiceOption = None, ops_token: OpsTokenOption = None
) -> None:
    """One dead letter: why it was parked, and the event (pretty-printed JSON)."""
    _check_id(letter_id)
    ops = _ops(service, ops_token)
    found, letter = _find(ops, letter_id)
    out().print(render.dead_letter_detail(found, letter))


@app.command()
def replay(
    letter_id: LetterId, service: ServiceOption = None, ops_token: OpsTokenOption = None
) -> None:
    """Apply a dead letter again, once its cause is fixed: the service's consumer takes it as
    if it had just arrived. Exits 1 if it failed again (it is then parked again)."""
    _check_id(letter_id)
    ops = _ops(service, ops_token)
    replayed_at: datetime | None = None
    if service is None:
        target, letter = _find(ops, letter_id)
        replayed_at = letter.replayed_at
    else:
        target = service.value
    try:
        with ops.client(target) as client:
            result = client.replay(letter_id)
    except ApiError as error:
        if error.status_code != 409:
            ops.fail(target, error)
        when = f" at {render.moment(replayed_at)}" if replayed_at else ""
        fail(
            f"already replayed: {target} replayed {letter_id}{when}",
            1,
            "a dead letter is replayed once at most, so its event is not applied twice",
        )
    except CliError as error:
        ops.fail(target, error)
    console = out()
    if result.applied:
        console.print(
            Text.assemble(
                ("applied", "bold green"), f": {target} replayed {result.id}, and it went through"
            ),
            soft_wrap=True,
        )
        return
    console.print(
        Text.assemble(
            ("parked again", "bold yellow"),
            f": {target} replayed {result.id}, it failed again and was parked again as a new "
            f"dead letter (onboard dlq list --service {target})",
        ),
        soft_wrap=True,
    )
    raise typer.Exit(1)
