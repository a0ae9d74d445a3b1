"""The records of a CSV file, each of bounded length.

The csv module reads whatever its lines hold: a file without a single newline would be one
line, read whole into memory, then one record of millions of values. Here no read is longer
than a record may be (`MAX_RECORD_CHARS`), so such a file costs one record's worth of memory
and is reported, never held. A record longer than that is unreadable: one physical line
too long is skipped (the next line is a fresh start); a record spanning lines (an unclosed
quote, most likely) leaves no safe place to resume, and ends the file.
"""

import csv
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

MAX_RECORD_CHARS = 64 * 1024
_SHOWN_CHARS = 200  # of an unreadable record, kept to show which one it was
_LINE_ENDS = ("\n", "\r")


class TextSource(Protocol):
    """A text stream that keeps line endings (`io.TextIOWrapper(..., newline="")`)."""

    def readline(self, size: int = -1, /) -> str: ...


@dataclass(frozen=True)
class Unreadable:
    """A record that cannot be read: where, what is wrong with it, the start of its text,
    and whether the rest of the file can still be read."""

    line: int
    problem: str
    start: str
    ends_file: bool

    @property
    def reason(self) -> str:
        if self.ends_file:
            return f"the file cannot be read from this line on: {self.problem}"
        return f"this row cannot be read: {self.problem}"


def records(source: TextSource | Iterable[str]) -> Iterator[tuple[int, list[str]] | Unreadable]:
    """(line, values) of each record in order, numbered from 1, one number per
    record (a quoted value spanning physical lines is still one row, as a spreadsheet shows
    it); a record that cannot be read is `Unreadable`. A UTF-8 byte order mark at the start
    is not content."""
    lines = _BoundedLines(source)
    reader = csv.reader(lines)
    for line in itertools.count(1):
        lines.start_record()
        try:
            values = next(reader)
        except StopIteration:
            return
        except _TooLong as too_long:
            problem = (
                f"a quoted value runs over {MAX_RECORD_CHARS} characters (a quote left open?)"
                if too_long.spans_lines
                else f"longer than {MAX_RECORD_CHARS} characters (is each row on a line of "
                "its own?)"
            )
            yield Unreadable(line, problem, too_long.start, ends_file=too_long.spans_lines)
            if too_long.spans_lines:
                return
            continue
        except csv.Error as error:
            yield Unreadable(line, str(error), "", ends_file=True)
            return
        yield line, values


def is_blank(values: list[str]) -> bool:
    """A line of nothing but separators and spaces: not a row."""
    return not "".join(values).strip()


class _TooLong(Exception):
    def __init__(self, start: str, *, spans_lines: bool) -> None:
        super().__init__(start)
        self.start = start
        self.spans_lines = spans_lines


class _BoundedLines:
    """The lines of a file for the csv module, never more of one record than
    `MAX_RECORD_CHARS` read: a longer record raises `_TooLong` (once the rest of its line is
    skipped). `start_record` is called before each record is read."""

    def __init__(self, source: TextSource | Iterable[str]) -> None:
        self._readline = (
            source.readline if hasattr(source, "readline") else _LineReader(source).readline
        )
        self._at_start = True
        self.start_record()

    def start_record(self) -> None:
        self._chars = 0
        self._lines = 0
        self._start = ""

    def __iter__(self) -> "_BoundedLines":
        return self

    def __next__(self) -> str:
        allowed = MAX_RECORD_CHARS - self._chars
        line = self._readline(allowed + 1)
        too_long = len(line) > allowed
        if self._at_start:
            line = line.removeprefix("\ufeff")
            self._at_start = False
        if not line:
            raise StopIteration
        self._chars += len(line)
        self._lines += 1
        if self._lines == 1:
            self._start = line[:_SHOWN_CHARS]
        if too_long:
            while line and not line.endswith(_LINE_ENDS):
                line = self._readline(MAX_RECORD_CHARS)
            raise _TooLong(self._start, spans_lines=self._lines > 1)
        return line


class _LineReader:
    """`readline(size)` over lines already in memory."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._lines = iter(lines)
        self._rest = ""

    def readline(self, size: int = -1, /) -> str:
        line = self._rest or next(self._lines, "")
        if size < 0:
            self._rest = ""
            return line
        self._rest = line[size:]
        return line[:size]
