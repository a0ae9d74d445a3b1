"""The school's record in an enrolment CSV: the optional columns middle_name, file_number,
tags, sections and flag:<name>, and the columns of a manual batch."""

import io

import pytest
from enrolment.domain.attributes import NO_ATTRIBUTES, Attributes
from enrolment.domain.csv_rows import REQUIRED_COLUMNS, Row, RowError, batch_columns, read_csv
from enrolment.domain.people import Person
from enrolment.errors import InvalidCsv, InvalidEnrolment


def read(text: str) -> list[Row | RowError]:
    return list(read_csv(io.StringIO(text, newline="")))


def test_a_file_without_the_columns_reads_as_before() -> None:
    assert read("email,id,name,phone\nann@example.org,s1,Ann,+1 555\n") == [
        Row(2, Person(email="ann@example.org", name="Ann", external_id="s1", phone="+1 555"))
    ]


def test_every_column_of_the_record() -> None:
    [row] = read(
        "email,id,name,middle_name,file_number,tags,sections,flag:inclusive,Flag:Individual\n"
        "ann@example.org,s1,Ann, Maria ,F-7,a; b ;a;,chess;choir,yes,0\n"
    )
    assert isinstance(row, Row)
    assert row.person.attributes == Attributes(
        middle_name="Maria",
        file_number="F-7",
        tags=("a", "b"),
        flags={"inclusive": True, "individual": False},
        sections=("chess", "choir"),
    )


def test_empty_cells_set_nothing() -> None:
    [row] = read(
        "email,id,name,middle_name,file_number,tags,sections,flag:inclusive\n"
        "ann@example.org,s1,Ann,,,,,\n"
    )
    assert isinstance(row, Row) and row.person.attributes == NO_ATTRIBUTES


def test_a_short_row_leaves_the_missing_flag_unset() -> None:
    [row] = read("email,id,name,flag:inclusive\nann@example.org,s1,Ann\n")
    assert isinstance(row, Row) and row.person.attributes.flags == {}


def test_a_bad_flag_value_is_the_rows_error_with_line_column_and_reason() -> None:
    items = read(
        "email,id,name,flag:inclusive\n"
        "ann@example.org,s1,Ann,true\n"
        "bob@example.org,s2,Bob,maybe\n"
        "cy@example.org,s3,Cy,no\n"
    )
    assert [type(i) for i in items] == [Row, RowError, Row]
    error = items[1]
    assert isinstance(error, RowError)
    assert (error.line, error.field) == (3, "flag:inclusive")
    assert "'maybe'" in error.reason and "yes or no" in error.reason
    assert error.raw == "bob@example.org,s2,Bob,maybe"


def test_bad_tags_or_sections_are_the_rows_errors() -> None:
    items = read(
        "email,id,name,tags,sections\n"
        f"ann@example.org,s1,Ann,{'x' * 65},\n"
        f"bob@example.org,s2,Bob,,{';'.join(str(n) for n in range(51))}\n"
    )
    assert [(e.line, e.field) for e in items if isinstance(e, RowError)] == [
        (2, "tags"),
        (3, "sections"),
    ]


def test_a_flag_column_with_a_bad_name_refuses_the_file() -> None:
    with pytest.raises(InvalidCsv) as caught:
        read("email,id,name,flag:is inclusive\nann@example.org,s1,Ann,yes\n")
    assert "'flag:is inclusive'" in caught.value.detail


def test_unknown_columns_are_still_ignored() -> None:
    [row] = read("email,id,name,shoe_size\nann@example.org,s1,Ann,42\n")
    assert isinstance(row, Row) and row.person.attributes == NO_ATTRIBUTES


class TestBatchColumns:
    def test_named_columns_in_order(self) -> None:
        assert batch_columns("email, id,name,Tags,flag:inclusive") == (
            "email",
            "id",
            "name",
            "tags",
            "flag:inclusive",
        )

    def test_the_lines_read_by_them(self) -> None:
        header = batch_columns("email,id,name,tags,flag:inclusive")
        [row] = read_csv(io.StringIO("ann@example.org,s1,Ann,a;b,yes\n", newline=""), header)
        assert isinstance(row, Row) and row.line == 1
        assert row.person.attributes.tags == ("a", "b")
        assert row.person.attributes.flags == {"inclusive": True}

    @pytest.mark.parametrize(
        ("raw", "said"),
        [
            ("email,id,name,shoe_size", "unknown column 'shoe_size'"),
            ("email,id", "missing column(s) name"),
            ("email,id,name,tags,tags", "'tags' named twice"),
        ],
    )
    def test_refused_naming_the_column(self, raw: str, said: str) -> None:
        with pytest.raises(InvalidEnrolment) as caught:
            batch_columns(raw)
        assert caught.value.field == "columns" and said in caught.value.reason

    def test_without_columns_the_required_ones(self) -> None:
        assert REQUIRED_COLUMNS == ("email", "id", "name")
