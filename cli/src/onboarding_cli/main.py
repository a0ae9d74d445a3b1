"""The `onboard` command line: import people, follow them through onboarding, look around."""

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from onboarding_cli import (
    __version__,
    activation,
    credentials,
    dlq,
    flow,
    lifecycle,
    render,
    reports,
)
from onboarding_cli.api_models import FunnelQuery, ImportOut, SelectionQuery
from onboarding_cli.client import EnrolmentClient
from onboarding_cli.config import API_KEY_VAR, ConfigError, load_config
from onboarding_cli.follow import follow_import
from onboarding_cli.output import fail as _fail
from onboarding_cli.output import out as _out
from onboarding_cli.session import (
    ApiKeyOption,
    CohortFilter,
    CourseFilter,
    ImportFilter,
    Invite,
    StatusFilter,
    UrlOption,
    enrolment_client,
)

app = typer.Typer(
    name="onboard",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_show_locals=False,  # locals would include the API key
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(dlq.app, name="dlq")
app.add_typer(reports.app, name="report")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"onboard {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Enrol people from a CSV and follow them from [bold]enrolled[/] to [bold]active[/].

    Finds the service and the API key in [cyan].run/env[/] (here or in a parent directory),
    then in ENROLMENT_URL / ONBOARDING_API_KEY, then in --url / --api-key. [bold]onboard dlq[/]
    looks after the events the services parked, with the operations token (OPS_API_TOKEN)."""


def _upload(
    client: EnrolmentClient,
    console: Console,
    file: Path,
    *,
    course: str,
    cohort: str | None,
    invite: Invite | None,
) -> ImportOut:
    size = file.stat().st_size
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(bar_width=30),
        DownloadColumn(),
        TransferSpeedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as progress:
        task = progress.add_task(f"uploading {file.name}", total=size)

        total_sent = 0

        def sent(n: int) -> None:
            nonlocal total_sent
            total_sent += n
            progress.update(task, completed=total_sent)
            if total_sent >= size:
                progress.update(task, description="the service is importing the rows…")

        return client.import_csv(
            file,
            course=course,
            cohort=cohort,
            invite=invite.value if invite else None,
            on_sent=sent,
        )


def _print_errors(console: Console, client: EnrolmentClient, summary: ImportOut) -> None:
    if summary.failed or summary.errors:
        url = client.errors_csv_url(summary.id)
        console.print(
            render.errors_table(summary.errors, failed=summary.failed, errors_csv_url=url)
        )


@app.command("import")
def import_(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True, dir_okay=False, readable=True, help="CSV with an email,id,name header."
        ),
    ],
    course: Annotated[str, typer.Option("--course", "-c", help="Course to enrol everyone in.")],
    cohort: Annotated[
        str | None, typer.Option("--cohort", "-k", help="Cohort (a CSV cohort column wins).")
    ] = None,
    invite: Annotated[
        Invite | None,
        typer.Option(
            case_sensitive=False,
            help="Invite now (auto) or later by hand (manual). [dim]Default: the tenant's.[/]",
            show_default=False,
        ),
    ] = None,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Watch invitations and emails go out, live.")
    ] = False,
    timeout: Annotated[
        float,
        typer.Option(
            min=0, help="With --follow: stop watching after this many seconds (0: never)."
        ),
    ] = 600.0,
    interval: Annotated[float, typer.Option(min=0.01, hidden=True)] = 0.5,
    url: UrlOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """Enrol everyone in FILE; bad rows are reported by line, column and reason."""
    console = _out()
    with enrolment_client(url, api_key) as client:
        summary = _upload(client, console, file, course=course, cohort=cohort, invite=invite)
        console.print(render.import_summary(summary))
        if not follow:
            _print_errors(console, client, summary)
            if summary.enrolled:
                console.print(
                    f"[dim]Follow the invitations: onboard funnel --import {summary.id}[/]"
                )
            return
        if not summary.enrolled and summary.done:
            console.print("[yellow]Nobody was enrolled, so there is nothing to follow.[/]")
            _print_errors(console, client, summary)
            return
        result = follow_import(
            client,
            console,
            summary.id,
            summary.enrolled,
            manual=summary.manual,  # the policy the import ran with: --invite or the tenant's
            import_done=summary.done,
            interval=interval,
            timeout=timeout or float("inf"),
        )
        if not summary.done:  # it was still processing: its rows' errors came since
            summary = client.get_import(summary.id)
        _print_errors(console, client, summary)
        final = result.funnel
        if final is not None:
            console.print(render.funnel_table(final, title="final funnel"))
        if summary.manual and final is not None and final.invited + final.failed < final.enrolled:
            console.print(
                "[dim]Invitations are by hand for this import: POST /v1/enrolments:invite "
                f'with {{"import_id": "{summary.id}"}} sends them.[/]'
            )
        if result.outcome == "interrupted":
            console.print("[yellow]Stopped following; the onboarding carries on.[/]")
        elif result.outcome == "timed_out":
            _fail(
                f"not settled after {timeout:g}s (the onboarding carries on)",
                1,
                f"check again with `onboard funnel --import {summary.id}`",
            )


@app.command()
def status(
    import_id: Annotated[str, typer.Argument(help="The import's id.")],
    url: UrlOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """Show an import: its status, counts and bad rows."""
    console = _out()
    with enrolment_client(url, api_key) as client:
        summary = client.get_import(import_id)
        console.print(render.import_summary(summary))
        _print_errors(console, client, summary)


@app.command()
def funnel(
    course: CourseFilter = None,
    cohort: CohortFilter = None,
    import_id: ImportFilter = None,
    url: UrlOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """How far people got: enrolled → invited → emailed → registered → active."""
    with enrolment_client(url, api_key) as client:
        counts = client.funnel(FunnelQuery(course=course, cohort=cohort, import_id=import_id))
    scope = ", ".join(
        f"{name} {value}"
        for name, value in (("course", course), ("cohort", cohort), ("import", import_id))
        if value
    )
    _out().print(render.funnel_table(counts, title=f"funnel — {scope}" if scope else "funnel"))


@app.command()
def enrolments(
    status: StatusFilter = None,
    course: CourseFilter = None,
    cohort: CohortFilter = None,
    import_id: ImportFilter = None,
    search: Annotated[
        str | None, typer.Option("--search", "-q", help="Match email, name or external id.")
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option("--limit", "-n", min=1, help="At most this many rows [dim](table: 50)[/]."),
    ] = None,
    csv: Annotated[
        bool, typer.Option("--csv", help="Write every match as CSV to stdout instead.")
    ] = False,
    url: UrlOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """List enrolments, newest first."""
    selection = SelectionQuery(
        status=status, course=course, cohort=cohort, import_id=import_id, q=search
    )
    with enrolment_client(url, api_key) as client:
        if csv:
            _write_stdout(client.enrolments_csv(selection, limit))
            return
        items, more = client.list_enrolments(selection, limit or 50)
    console = _out()
    if not items:
        console.print("[dim]No enrolments match.[/]")
        return
    console.print(render.enrolments_table(items))
    shown = f"{len(items):,} shown"
    console.print(
        f"[dim]{shown}; there are more — raise --limit or export with --csv[/]"
        if more
        else f"[dim]{shown}[/]"
    )


def _write_stdout(chunks: Iterator[bytes]) -> None:
    sys.stdout.flush()
    out = sys.stdout.buffer
    try:
        for chunk in chunks:
            out.write(chunk)
        out.flush()
    except BrokenPipeError:  # `onboard enrolments --csv | head`
        sys.stderr.close()


@app.command("config")
def show_config(url: UrlOption = None, api_key: ApiKeyOption = None) -> None:
    """Show which service and API key the other commands would use, and where they come from."""
    try:
        config = load_config(url=url, api_key=api_key)
    except ConfigError as error:
        _fail(str(error), 2)
    grid = Table.grid(padding=(0, 2))
    grid.add_row("[bold]url[/]", config.url.value, f"[dim]{config.url.source}[/]")
    if config.api_key:
        key = config.api_key.value
        masked = f"{key[:4]}…{key[-2:]}" if len(key) > 8 else "…"
        grid.add_row("[bold]api key[/]", masked, f"[dim]{config.api_key.source}[/]")
    else:
        grid.add_row("[bold]api key[/]", "[red]not set[/]", f"[dim]set {API_KEY_VAR}[/]")
    grid.add_row("[bold]env file[/]", str(config.env_file or "[dim]none found[/]"), "")
    _out().print(grid)


# The invitation lifecycle: the list, resends, reminders, and the settings that rule them.
for command in (lifecycle.invitations, lifecycle.resend, lifecycle.remind, lifecycle.settings):
    app.command()(command)
# An admin's approval of registered accounts (tenants with `activation: admin`).
app.command()(activation.activate)
# Accounts made for people who skip the sign-up form, and their sign-in details sent.
app.command()(credentials.credentials)
# Operators: the event flow through the services, live.
app.command()(flow.flow)
