"""Where `onboard` writes: results on stdout, errors on stderr in one shape."""

from collections.abc import Sequence
from typing import NoReturn

import typer
from rich.console import Console
from rich.text import Text


def out() -> Console:
    return Console(highlight=False)


def report(message: str, hint: str | None = None, details: Sequence[str] = ()) -> None:
    """`error: message — hint` on one line, then each detail (a field and its reason) on its
    own, indented; on stderr, and never read as rich markup (an error may hold `[...]`)."""
    line = Text.assemble(("error: ", "bold red"), message)
    if hint:
        line.append(f" — {hint}", style="dim")
    for detail in details:
        line.append(f"\n  {detail}")
    Console(stderr=True, highlight=False).print(line, soft_wrap=True)


def fail(
    message: str, exit_code: int, hint: str | None = None, details: Sequence[str] = ()
) -> NoReturn:
    """`report` the error, then exit with `exit_code`."""
    report(message, hint, details)
    raise typer.Exit(exit_code)
