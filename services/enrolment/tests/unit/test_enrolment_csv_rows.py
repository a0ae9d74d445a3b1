"""Reading people from an enrolment CSV: the header, line numbers, each row's verdict."""

import io
from collections.abc import Iterator

import pytest
from enrolment.domain.csv_rows import Row, RowError, read_csv
from enrolment.domain.people import Person
from enrolment.errors import InvalidCsv


def csv_lines(text: str) -> io.StringIO:
    """The file as the API hands it over: a text stream that keeps line endings."""
    return io.StringIO(text, newline="")


def read(text: str) -> list[Row | RowError]:
    return list(read_csv(csv_lines(text)))


def errors_of(items: list[Row | RowError]) -> list[RowError]:
    return [i for i in items if isinstance(i, RowError)]


def rows_of(items: list[Row | RowError]) -> list[Row]:
    return [i for i in items if isinstance(i, Row)]


# --- read_csv ----------------------------------------------------------------------------


class TestReadCsvHeader:
    def test_columns_in_any_order(self) -> None:
        items = read("name,email,id\nAnn Lee,ann@example.org,s1\n")
        assert items == [Row(2, Person(email="ann@example.org", name="Ann Lee", external_id="s1"))]

    def test_header_names_are_trimmed_and_case_insensitive(self) -> None:
        items = read(" Email , ID ,Name\nann@example.org,s1,Ann\n")
        assert rows_of(items)[0].person.email == "ann@example.org"
        assert rows_of(items)[0].person.external_id == "s1"

    def test_utf8_bom_is_stripped(self) -> None:
        items = read("\ufeffemail,id,name\nann@example.org,s1,Ann\n")
        assert [r.person.email for r in rows_of(items)] == ["ann@example.org"]
        assert errors_of(items) == []

    def test_bom_is_only_stripped_from_the_start_of_the_file(self) -> None:
        # A BOM inside a later line is content, not an encoding marker.
        items = read("email,id,name\nann@example.org,s1,\ufeffAnn\n")
        assert rows_of(items)[0].person.name == "\ufeffAnn"

    @pytest.mark.parametrize(
        ("header", "missing"),
        [
            ("id,name", "email"),
            ("email,name", "id"),
            ("email,id", "name"),
            ("email,identifier,fullname", "id, name"),
        ],
    )
    def test_missing_required_column_is_named(self, header: str, missing: str) -> None:
        with pytest.raises(InvalidCsv) as caught:
            read(f"{header}\nann@example.org,s1\n")
        assert f"missing column(s) {missing}:" in str(caught.value)

    def test_empty_file(self) -> None:
        with pytest.raises(InvalidCsv, match="empty"):
            read("")

    def test_only_a_bom_is_refused(self) -> None:
        with pytest.raises(InvalidCsv):
            read("\ufeff")

    def test_header_only_gives_no_rows(self) -> None:
        assert read("email,id,name\n") == []

    def test_file_level_error_is_raised_before_any_row(self) -> None:
        with pytest.raises(InvalidCsv):
            read_csv(csv_lines("foo,bar\nann@example.org,s1\n"))

    def test_an_unreadable_header_is_a_file_level_error(self) -> None:
        with pytest.raises(InvalidCsv, match="header"):
            read_csv(csv_lines('"' + "x" * 200_000 + "\n"))


class TestReadCsvLineNumbers:
    def test_header_is_line_one(self) -> None:
        items = read("email,id,name\nann@example.org,s1,Ann\nbob@example.org,s2,Bob\n")
        assert [i.line for i in items] == [2, 3]

    def test_blank_lines_are_skipped_but_counted(self) -> None:
        text = "email,id,name\nann@example.org,s1,Ann\n\n , ,\nbob@example.org,s2,Bob\n"
        items = read(text)
        assert errors_of(items) == []
        assert [(r.line, r.person.email) for r in rows_of(items)] == [
            (2, "ann@example.org"),
            (5, "bob@example.org"),
        ]

    def test_crlf_line_endings(self) -> None:
        items = read("email,id,name\r\nann@example.org,s1,Ann\r\nbad,s2,Bob\r\n")
        assert rows_of(items)[0].line == 2
        assert errors_of(items)[0].line == 3

    def test_error_line_points_at_the_bad_row(self) -> None:
        text = (
            "email,id,name\nann@example.org,s1,Ann\nnot-an-email,s2,Bob\ncat@example.org,s3,Cat\n"
        )
        items = read(text)
        [error] = errors_of(items)
        assert error.line == 3
        assert error.field == "email"
        assert error.raw == "not-an-email,s2,Bob"
        assert [r.line for r in rows_of(items)] == [2, 4]

    def test_quoted_field_spanning_two_lines_keeps_its_content(self) -> None:
        items = read('email,id,name\nann@example.org,s1,"Ann\nLee"\n')
        [row] = rows_of(items)
        assert row.person.name == "Ann Lee"  # the newline is whitespace, collapsed

    def test_line_numbers_after_a_quoted_field_spanning_two_lines(self) -> None:
        text = (
            "email,id,name\n"  # row 1
            'ann@example.org,s1,"Ann\nLee"\n'  # row 2 (two physical lines)
            "bob@example.org,s2,Bob\n"  # row 3
            "not-an-email,s3,Cat\n"  # row 4
        )
        items = read(text)
        assert [i.line for i in items] == [2, 3, 4]


class TestReadCsvRows:
    def test_duplicate_email_reported_on_second_occurrence_with_first_line(self) -> None:
        text = (
            "email,id,name\n"
            "ann@example.org,s1,Ann\n"
            "bob@example.org,s2,Bob\n"
            "ANN@Example.org,s3,Ann again\n"
        )
        items = read(text)
        assert [r.person.external_id for r in rows_of(items)] == ["s1", "s2"]
        [error] = errors_of(items)
        assert error.line == 4
        assert error.field == "email"
        assert "first on line 2" in error.reason
        assert error.raw == "ANN@Example.org,s3,Ann again"

    def test_an_invalid_first_occurrence_does_not_make_the_second_a_duplicate(self) -> None:
        text = "email,id,name\nann@example.org,s1,\nann@example.org,s2,Ann\n"
        items = read(text)
        assert [(e.line, e.field) for e in errors_of(items)] == [(2, "name")]
        assert [r.line for r in rows_of(items)] == [3]

    def test_too_many_values(self) -> None:
        items = read("email,id,name\nann@example.org,s1,Ann,extra\n")
        [error] = items
        assert isinstance(error, RowError)
        assert error.line == 2
        assert error.field is None
        assert error.reason == "4 values for 3 columns"
        assert error.raw == "ann@example.org,s1,Ann,extra"

    def test_too_few_values_reads_missing_cells_as_empty(self) -> None:
        items = read("email,id,name\nann@example.org,s1\n")
        [error] = items
        assert isinstance(error, RowError)
        assert (error.line, error.field, error.reason) == (2, "name", "missing name")

    def test_missing_id_defaults_to_name(self) -> None:
        items = read("email,id,name\nann@example.org,,Ann Lee\n")
        assert rows_of(items)[0].person.external_id == "Ann Lee"

    def test_optional_columns_are_read(self) -> None:
        text = (
            "channel,phone,cohort,role,name,id,email,locale\n"
            "sms,+447700900123,2025-A,Mentor,Ann,s1,ann@example.org, PT-BR \n"
        )
        [row] = rows_of(read(text))
        assert row.person == Person(
            email="ann@example.org",
            name="Ann",
            external_id="s1",
            role="mentor",
            cohort="2025-A",
            phone="+447700900123",
            channel="sms",
            locale="pt-BR",
        )

    def test_optional_column_errors_carry_their_field(self) -> None:
        text = (
            "email,id,name,role,channel,phone,locale\n"
            "ann@example.org,s1,Ann,wizard,,,\n"
            "bob@example.org,s2,Bob,,sms,,\n"
            "cy@example.org,s3,Cy,,,,français\n"
            "di@example.org,s4,Di,,,,fr\n"
        )
        items = read(text)
        assert [(e.line, e.field) for e in errors_of(items)] == [
            (2, "role"),
            (3, "phone"),
            (4, "locale"),
        ]
        assert [(r.line, r.person.locale) for r in rows_of(items)] == [(5, "fr")]

    def test_unknown_columns_are_ignored(self) -> None:
        [row] = rows_of(read("email,id,name,notes\nann@example.org,s1,Ann,hello\n"))
        assert row.person.email == "ann@example.org"

    def test_reads_lazily_one_row_at_a_time(self) -> None:
        consumed: list[str] = []

        def lines() -> Iterator[str]:
            for line in ["email,id,name\n", "ann@example.org,s1,Ann\n", "bad,s2,Bob\n"]:
                consumed.append(line)
                yield line

        rows = read_csv(lines())
        first = next(rows)
        assert isinstance(first, Row)
        assert len(consumed) == 2


def test_an_unreadable_record_ends_the_file_with_a_row_error_naming_its_line() -> None:
    unclosed = 'email,id,name\na@example.org,1,A\nb@example.org,2,"' + "x" * 200_000 + "\n"
    rows = list(read_csv(io.StringIO(unclosed, newline="")))
    assert [type(r).__name__ for r in rows] == ["Row", "RowError"]
    assert rows[1].line == 3 and "cannot be read" in rows[1].reason
