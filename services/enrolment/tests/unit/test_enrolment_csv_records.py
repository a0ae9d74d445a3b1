"""A CSV is read a bounded record at a time: a file without newlines, or one enormous line
or value, is reported (the header: the file is refused; a row: that row's error) without
ever being read whole."""

import io

import pytest
from enrolment.domain.csv_records import MAX_RECORD_CHARS
from enrolment.domain.csv_rows import Row, RowError, check_row_count, read_csv
from enrolment.errors import FileTooLarge, InvalidCsv

HEADER = "email,id,name\n"


class WatchedText(io.StringIO):
    """A text stream that remembers the longest piece of it anyone read at once."""

    def __init__(self, text: str) -> None:
        super().__init__(text, newline="")
        self.longest = 0

    def _seen(self, piece: str) -> str:
        self.longest = max(self.longest, len(piece))
        return piece

    def readline(self, size: int | None = -1, /) -> str:
        return self._seen(super().readline(size))

    def read(self, size: int | None = -1, /) -> str:
        return self._seen(super().read(size))

    def __next__(self) -> str:
        return self._seen(super().__next__())


def outcomes(items: list[Row | RowError]) -> list[tuple[int, str]]:
    return [
        (item.line, item.person.email if isinstance(item, Row) else f"error: {item.reason}")
        for item in items
    ]


def test_a_file_without_newlines_is_refused_at_its_header_without_being_read_whole() -> None:
    source = WatchedText(HEADER.strip() + "," * 3_000_000)
    with pytest.raises(
        InvalidCsv, match=f"header row cannot be read: longer than {MAX_RECORD_CHARS}"
    ):
        read_csv(source)
    assert source.longest <= MAX_RECORD_CHARS + 1


def test_an_enormous_line_is_that_rows_error_and_the_next_rows_are_read() -> None:
    enormous = "big@example.org,2,B" + "," * 2_000_000 + "\n"
    source = WatchedText(HEADER + "a@example.org,1,A\n" + enormous + "c@example.org,3,C\n")
    items = list(read_csv(source))
    assert source.longest <= MAX_RECORD_CHARS + 1
    assert outcomes(items) == [
        (2, "a@example.org"),
        (3, f"error: this row cannot be read: longer than {MAX_RECORD_CHARS} characters "
            "(is each row on a line of its own?)"),
        (4, "c@example.org"),
    ]  # fmt: skip
    error = items[1]
    assert isinstance(error, RowError) and error.field is None
    assert error.raw.startswith("big@example.org,2,B,,,") and error.raw.endswith("\u2026")
    assert len(error.raw) <= 201, "the start of the row, to recognise it"


def test_an_enormous_quoted_value_ends_the_file_with_its_lines_error() -> None:
    # A quote left open swallows the lines after it into one value: nowhere safe to resume.
    open_quote = 'b@example.org,2,"B\n' + "more text\n" * 10_000
    source = WatchedText(HEADER + "a@example.org,1,A\n" + open_quote)
    items = list(read_csv(source))
    assert source.longest <= MAX_RECORD_CHARS + 1
    assert [type(i).__name__ for i in items] == ["Row", "RowError"]
    assert items[1].line == 3
    assert "cannot be read from this line on" in items[1].reason
    assert "quote" in items[1].reason


def test_a_record_just_within_the_bound_is_read() -> None:
    name = "N" * (MAX_RECORD_CHARS - len("a@example.org,1,\n"))
    [row] = read_csv(io.StringIO(HEADER + f"a@example.org,1,{name}\n", newline=""))
    assert isinstance(row, RowError) and row.field == "name"  # too long a name, but read


def test_lines_given_as_a_list_are_bounded_too() -> None:
    items = list(read_csv([HEADER, "x" * (MAX_RECORD_CHARS + 5) + "\n", "a@example.org,1,A\n"]))
    assert [type(i).__name__ for i in items] == ["RowError", "Row"]
    assert [i.line for i in items] == [2, 3]


def test_a_nul_in_a_row_is_that_rows_error() -> None:
    text = HEADER + "a@example.org,1,A\nb@example.org,2,B\x00ob\nc@example.org,3,C\n"
    items = list(read_csv(io.StringIO(text, newline="")))
    assert [(i.line, type(i).__name__) for i in items] == [(2, "Row"), (3, "RowError"), (4, "Row")]
    bad = items[1]
    assert isinstance(bad, RowError) and bad.field == "name"
    assert "\x00" not in bad.raw and bad.raw == "b@example.org,2,B\ufffdob"


class TestRowCount:
    def test_at_the_limit_passes_and_blank_lines_do_not_count(self) -> None:
        check_row_count(io.StringIO(HEADER + "a,1,A\n\n , ,\nb,2,B\n", newline=""), None, 2)

    def test_one_over_the_limit_is_refused(self) -> None:
        with pytest.raises(FileTooLarge, match="more than 2 rows: split it"):
            check_row_count(io.StringIO(HEADER + "a,1,A\nb,2,B\nc,3,C\n", newline=""), None, 2)

    def test_without_a_header_every_line_is_a_row(self) -> None:
        lines = io.StringIO("a,1,A\nb,2,B\n", newline="")
        with pytest.raises(FileTooLarge):
            check_row_count(lines, ("email", "id", "name"), 1)

    def test_a_value_over_several_lines_is_one_row_and_unreadable_rows_count(self) -> None:
        text = HEADER + 'a,1,"A\nB"\n' + "x" * (MAX_RECORD_CHARS + 1) + "\n"
        check_row_count(io.StringIO(text, newline=""), None, 2)
        with pytest.raises(FileTooLarge):
            check_row_count(io.StringIO(text, newline=""), None, 1)
