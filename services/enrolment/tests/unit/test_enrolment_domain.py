"""Enrolment rules: validating a person, reading a CSV, import status, status transitions."""

import io
from collections.abc import Iterator

import pytest
from enrolment.domain import (
    ROLES,
    EnrolmentStatus,
    InvalidCsv,
    InvalidEnrolment,
    Person,
    Row,
    RowError,
    import_status,
    normalise_email,
    read_csv,
    status_after_account_activated,
    status_after_invitation_issued,
    validate_person,
)


def csv_lines(text: str) -> io.StringIO:
    """The file as the API hands it over: a text stream that keeps line endings."""
    return io.StringIO(text, newline="")


def read(text: str) -> list[Row | RowError]:
    return list(read_csv(csv_lines(text)))


def errors_of(items: list[Row | RowError]) -> list[RowError]:
    return [i for i in items if isinstance(i, RowError)]


def rows_of(items: list[Row | RowError]) -> list[Row]:
    return [i for i in items if isinstance(i, Row)]


# --- validate_person ---------------------------------------------------------------------


class TestValidatePerson:
    def test_email_is_trimmed_and_lower_cased(self) -> None:
        person = validate_person(email="  Ann.Lee@Example.ORG ", name="Ann", external_id="s1")
        assert person.email == "ann.lee@example.org"

    @pytest.mark.parametrize("email", ["not-an-email", "ann@", "@example.org", "a b@example.org"])
    def test_invalid_email_is_refused_with_a_reason(self, email: str) -> None:
        with pytest.raises(InvalidEnrolment) as caught:
            validate_person(email=email, name="Ann", external_id="s1")
        assert caught.value.field == "email"
        assert caught.value.reason.startswith("invalid email address")

    @pytest.mark.parametrize("email", ["", "   "])
    def test_missing_email(self, email: str) -> None:
        with pytest.raises(InvalidEnrolment) as caught:
            validate_person(email=email, name="Ann", external_id="s1")
        assert (caught.value.field, caught.value.reason) == ("email", "missing email")

    @pytest.mark.parametrize("name", ["", "   ", "\t\n"])
    def test_missing_name(self, name: str) -> None:
        with pytest.raises(InvalidEnrolment) as caught:
            validate_person(email="ann@example.org", name=name, external_id="s1")
        assert (caught.value.field, caught.value.reason) == ("name", "missing name")

    def test_name_too_long(self) -> None:
        with pytest.raises(InvalidEnrolment) as caught:
            validate_person(email="ann@example.org", name="x" * 201, external_id="s1")
        assert caught.value.field == "name"
        assert "200" in caught.value.reason

    def test_name_of_exactly_the_maximum_length_is_accepted(self) -> None:
        person = validate_person(email="ann@example.org", name="x" * 200, external_id="s1")
        assert len(person.name) == 200

    def test_whitespace_in_name_is_collapsed(self) -> None:
        person = validate_person(
            email="ann@example.org", name="  Ann \t  Marie\n Lee ", external_id="s1"
        )
        assert person.name == "Ann Marie Lee"

    def test_unknown_role_lists_the_roles(self) -> None:
        with pytest.raises(InvalidEnrolment) as caught:
            validate_person(email="ann@example.org", name="Ann", external_id="s1", role="wizard")
        assert caught.value.field == "role"
        assert "'wizard'" in caught.value.reason
        for role in ROLES:
            assert role in caught.value.reason

    def test_role_is_normalised(self) -> None:
        person = validate_person(
            email="ann@example.org", name="Ann", external_id="s1", role="  Mentor "
        )
        assert person.role == "mentor"

    @pytest.mark.parametrize("role", [None, ""])
    def test_role_defaults_to_learner(self, role: str | None) -> None:
        person = validate_person(email="ann@example.org", name="Ann", external_id="s1", role=role)
        assert person.role == "learner"

    @pytest.mark.parametrize("channel", [None, ""])
    def test_channel_defaults_to_email(self, channel: str | None) -> None:
        person = validate_person(
            email="ann@example.org", name="Ann", external_id="s1", channel=channel
        )
        assert person.channel == "email"

    @pytest.mark.parametrize("field", ["role", "channel"])
    def test_whitespace_only_role_or_channel_takes_the_default(self, field: str) -> None:
        person = validate_person(
            email="ann@example.org", name="Ann", external_id="s1", **{field: "  "}
        )
        assert (person.role, person.channel) == ("learner", "email")

    @pytest.mark.parametrize("external_id", [None, "", "   "])
    def test_external_id_defaults_to_the_clean_name(self, external_id: str | None) -> None:
        person = validate_person(
            email="ann@example.org", name="  Ann   Lee", external_id=external_id
        )
        assert person.external_id == "Ann Lee"

    def test_external_id_is_trimmed(self) -> None:
        person = validate_person(email="ann@example.org", name="Ann", external_id="  s-42 ")
        assert person.external_id == "s-42"

    def test_sms_channel_needs_a_phone(self) -> None:
        with pytest.raises(InvalidEnrolment) as caught:
            validate_person(
                email="ann@example.org", name="Ann", external_id="s1", channel="sms", phone="  "
            )
        assert caught.value.field == "phone"

    def test_sms_channel_with_a_phone(self) -> None:
        person = validate_person(
            email="ann@example.org",
            name="Ann",
            external_id="s1",
            channel=" SMS ",
            phone=" +44 7700 900123 ",
        )
        assert person.channel == "sms"
        assert person.phone == "+44 7700 900123"

    def test_unknown_channel(self) -> None:
        with pytest.raises(InvalidEnrolment) as caught:
            validate_person(email="ann@example.org", name="Ann", external_id="s1", channel="fax")
        assert caught.value.field == "channel"
        assert "'fax'" in caught.value.reason

    def test_defaults_and_blank_optionals(self) -> None:
        person = validate_person(
            email="ann@example.org", name="Ann", external_id="s1", cohort="  ", phone=""
        )
        assert person == Person(
            email="ann@example.org",
            name="Ann",
            external_id="s1",
            role="learner",
            cohort=None,
            phone=None,
            channel="email",
        )

    def test_cohort_is_trimmed(self) -> None:
        person = validate_person(
            email="ann@example.org", name="Ann", external_id="s1", cohort=" 2025-A "
        )
        assert person.cohort == "2025-A"

    def test_error_message_names_field_and_reason(self) -> None:
        error = InvalidEnrolment("name", "missing name")
        assert str(error) == "name: missing name"
        assert isinstance(error, ValueError)


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
        rows = read_csv(csv_lines("foo,bar\nann@example.org,s1\n"))
        with pytest.raises(InvalidCsv):
            next(rows)


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
            "channel,phone,cohort,role,name,id,email\n"
            "sms,+447700900123,2025-A,Mentor,Ann,s1,ann@example.org\n"
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
        )

    def test_optional_column_errors_carry_their_field(self) -> None:
        text = (
            "email,id,name,role,channel,phone\n"
            "ann@example.org,s1,Ann,wizard,,\n"
            "bob@example.org,s2,Bob,,sms,\n"
        )
        errors = errors_of(read(text))
        assert [(e.line, e.field) for e in errors] == [(2, "role"), (3, "phone")]

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


# --- import status and status transitions -----------------------------------------------


@pytest.mark.parametrize(
    ("enrolled", "failed", "expected"),
    [
        (5, 0, "completed"),
        (0, 0, "completed"),
        (3, 2, "completed_with_errors"),
        (0, 4, "failed"),
    ],
)
def test_import_status(enrolled: int, failed: int, expected: str) -> None:
    assert import_status(enrolled, failed) == expected


@pytest.mark.parametrize(
    ("current", "expected"),
    [
        (EnrolmentStatus.ENROLLED, EnrolmentStatus.INVITED),
        (EnrolmentStatus.EXPIRED, EnrolmentStatus.INVITED),
        (EnrolmentStatus.INVITED, EnrolmentStatus.INVITED),
        (EnrolmentStatus.PENDING_ACTIVATION, EnrolmentStatus.PENDING_ACTIVATION),
        (EnrolmentStatus.ACTIVE, EnrolmentStatus.ACTIVE),
        (EnrolmentStatus.CANCELLED, EnrolmentStatus.CANCELLED),
    ],
)
def test_status_after_invitation_issued(
    current: EnrolmentStatus, expected: EnrolmentStatus
) -> None:
    assert status_after_invitation_issued(current) is expected


@pytest.mark.parametrize(
    ("current", "expected"),
    [
        (EnrolmentStatus.ENROLLED, EnrolmentStatus.ACTIVE),
        (EnrolmentStatus.INVITED, EnrolmentStatus.ACTIVE),
        (EnrolmentStatus.PENDING_ACTIVATION, EnrolmentStatus.ACTIVE),
        (EnrolmentStatus.EXPIRED, EnrolmentStatus.ACTIVE),
        (EnrolmentStatus.ACTIVE, EnrolmentStatus.ACTIVE),
        (EnrolmentStatus.CANCELLED, EnrolmentStatus.CANCELLED),
    ],
)
def test_status_after_account_activated(
    current: EnrolmentStatus, expected: EnrolmentStatus
) -> None:
    assert status_after_account_activated(current) is expected


def test_an_unreadable_record_ends_the_file_with_a_row_error_naming_its_line() -> None:
    unclosed = 'email,id,name\na@example.org,1,A\nb@example.org,2,"' + "x" * 200_000 + "\n"
    rows = list(read_csv(io.StringIO(unclosed, newline="")))
    assert [type(r).__name__ for r in rows] == ["Row", "RowError"]
    assert rows[1].line == 3 and "cannot be read" in rows[1].reason


def test_international_domains_are_kept_in_their_ascii_form() -> None:
    assert normalise_email("Ada@Exämple.com") == "ada@xn--exmple-cua.com"
    with pytest.raises(InvalidEnrolment, match="non-ASCII"):
        normalise_email("josé@example.com")
