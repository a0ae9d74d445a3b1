"""The school's record of a person: tags, sections and flags normalised, CSV flag cells, the
list's flag and phone filters, the export's columns, changes to the record."""

import pytest
from enrolment.domain.attributes import (
    MAX_TAG_LENGTH,
    MAX_TAGS,
    NO_ATTRIBUTES,
    Attributes,
    FlagChanges,
    clean_flags,
    clean_tags,
    flag_value,
    phone_digits,
    validate_attributes,
)
from enrolment.domain.exports import (
    EXPORT_COLUMNS,
    chosen_export_columns,
    default_export_columns,
    export_cell,
)
from enrolment.domain.people import validate_changes, validate_person
from enrolment.domain.selection import flag_filter
from enrolment.errors import InvalidEnrolment


def refused(call, *args) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidEnrolment) as caught:
        call(*args)
    return caught.value.field, caught.value.reason


class TestTags:
    def test_trimmed_blanks_dropped_each_once_in_first_order(self) -> None:
        assert clean_tags([" b ", "a", "", "  ", "b", "a ", "c"]) == ("b", "a", "c")

    def test_none_is_no_tags(self) -> None:
        assert clean_tags(None) == ()

    def test_the_count_is_counted_after_duplicates_go(self) -> None:
        assert len(clean_tags([f"t{n}" for n in range(MAX_TAGS)] + ["t0"])) == MAX_TAGS
        field, reason = refused(clean_tags, [f"t{n}" for n in range(MAX_TAGS + 1)])
        assert field == "tags" and str(MAX_TAGS) in reason

    def test_a_long_tag_is_refused(self) -> None:
        assert clean_tags(["x" * MAX_TAG_LENGTH]) == ("x" * MAX_TAG_LENGTH,)
        assert refused(clean_tags, ["x" * (MAX_TAG_LENGTH + 1)])[0] == "tags"

    def test_no_separator_no_control_character_no_plain_string(self) -> None:
        assert "';'" in refused(clean_tags, ["a;b"])[1]
        assert refused(clean_tags, ["a\x00"])[0] == "tags"
        assert refused(clean_tags, "ab")[1] == "a list of texts"
        assert refused(clean_tags, [1])[1] == "a list of texts"


class TestFlags:
    def test_flags_by_name(self) -> None:
        assert dict(clean_flags({"inclusive": True, "individual": False})) == {
            "inclusive": True,
            "individual": False,
        }

    @pytest.mark.parametrize("name", ["Inclusive", "1st", "_x", "has space", "a-b", "", "x" * 41])
    def test_names_are_lowercase_letters_digits_underscores(self, name: str) -> None:
        field, reason = refused(clean_flags, {name: True})
        assert field == "flags" and "not a flag name" in reason

    def test_values_are_booleans(self) -> None:
        assert refused(clean_flags, {"inclusive": "yes"}) == ("flags.inclusive", "true or false")
        assert refused(clean_flags, {"inclusive": None})[0] == "flags.inclusive"

    @pytest.mark.parametrize(
        ("cell", "value"),
        [
            ("true", True), ("TRUE", True), (" yes ", True), ("1", True), ("Yes", True),
            ("false", False), ("No", False), ("0", False), ("", None), ("  ", None), (None, None),
        ],
    )  # fmt: skip
    def test_csv_cells(self, cell: str | None, value: bool | None) -> None:
        assert flag_value("flag:inclusive", cell) is value

    @pytest.mark.parametrize("cell", ["maybe", "2", "y", "n", "on", "tru"])
    def test_any_other_cell_is_refused_in_its_column(self, cell: str) -> None:
        field, reason = refused(flag_value, "flag:inclusive", cell)
        assert field == "flag:inclusive"
        assert repr(cell) in reason and "yes or no" in reason


class TestAttributesOfAPerson:
    def test_nothing_given_is_no_attributes(self) -> None:
        person = validate_person(email="a@example.org", name="A", external_id=None)
        assert person.attributes == NO_ATTRIBUTES
        assert validate_attributes(middle_name="  ", file_number="", tags=[" "]) == NO_ATTRIBUTES

    def test_everything_normalised(self) -> None:
        person = validate_person(
            email="a@example.org",
            name="A",
            external_id=None,
            middle_name="  Maria   Luisa ",
            file_number=" F-12 ",
            tags=["x", " x", "y"],
            flags={"inclusive": True},
            sections=["chess ", "", "choir"],
        )
        assert person.attributes == Attributes(
            middle_name="Maria Luisa",
            file_number="F-12",
            tags=("x", "y"),
            flags={"inclusive": True},
            sections=("chess", "choir"),
        )

    def test_a_bad_value_names_its_field(self) -> None:
        with pytest.raises(InvalidEnrolment) as caught:
            validate_attributes(file_number="x" * 101)
        assert caught.value.field == "file_number"
        with pytest.raises(InvalidEnrolment) as caught:
            validate_attributes(sections=["a;b"])
        assert caught.value.field == "sections"
        with pytest.raises(InvalidEnrolment) as caught:
            validate_attributes(middle_name="x\x01")
        assert caught.value.field == "middle_name"


class TestChangesToTheRecord:
    def test_flags_merge_a_null_removes(self) -> None:
        clean = validate_changes({"flags": {"inclusive": True, "individual": None}})
        assert clean["flags"] == FlagChanges({"inclusive": True}, ("individual",))

    def test_lists_replace_null_clears(self) -> None:
        clean = validate_changes({"tags": [" a", "a", "b"], "sections": None})
        assert clean == {"tags": ("a", "b"), "sections": ()}

    def test_texts_trimmed_null_or_blank_clears(self) -> None:
        assert validate_changes({"middle_name": " Jo ", "file_number": None}) == {
            "middle_name": "Jo",
            "file_number": None,
        }
        assert validate_changes({"file_number": "  "}) == {"file_number": None}

    def test_bad_changes_name_their_field(self) -> None:
        assert refused(validate_changes, {"flags": {"Bad": True}})[0] == "flags"
        assert refused(validate_changes, {"flags": {"ok": "yes"}})[0] == "flags.ok"
        assert refused(validate_changes, {"flags": ["ok"]})[0] == "flags"
        assert refused(validate_changes, {"tags": "a"})[0] == "tags"
        assert refused(validate_changes, {"email": "x@example.org", "tags": []})[0] == "email"


class TestFilters:
    def test_a_flag_alone_or_true_is_set_true_false_is_not_set_true(self) -> None:
        assert flag_filter("inclusive") == ("inclusive", True)
        assert flag_filter("inclusive:true") == ("inclusive", True)
        assert flag_filter(" inclusive:FALSE ") == ("inclusive", False)

    @pytest.mark.parametrize("raw", ["Inclusive", "inclusive:maybe", ":true", "in clusive"])
    def test_a_bad_flag_filter_is_refused(self, raw: str) -> None:
        assert refused(flag_filter, raw)[0] == "flag"

    def test_phones_compare_by_their_digits(self) -> None:
        assert phone_digits(" +44 (20) 7946-0958 ") == "+442079460958"
        assert phone_digits("020.7946.0958") == "02079460958"


class _Exported:
    flags = {"inclusive": True, "individual": False}
    tags = ("a", "b c")
    sections = ()
    email = "ada@example.org"
    middle_name = None


class TestExportColumns:
    def test_by_default_every_column_then_the_flags_found_by_name(self) -> None:
        columns = default_export_columns(["individual", "inclusive"])
        assert columns[: len(EXPORT_COLUMNS)] == EXPORT_COLUMNS
        assert columns[len(EXPORT_COLUMNS) :] == (
            "middle_name", "file_number", "tags", "sections", "flag:inclusive", "flag:individual",
        )  # fmt: skip

    def test_chosen_columns_in_their_order(self) -> None:
        assert chosen_export_columns("email, tags ,flag:inclusive,name") == (
            "email",
            "tags",
            "flag:inclusive",
            "name",
        )

    @pytest.mark.parametrize(
        ("raw", "named"),
        [("email,shoe_size", "'shoe_size'"), ("email,", "(an empty name)"), ("Email", "'Email'")],
    )
    def test_an_unknown_column_is_refused_by_name(self, raw: str, named: str) -> None:
        field, reason = refused(chosen_export_columns, raw)
        assert field == "columns" and named in reason

    def test_a_bad_flag_column_or_a_repeated_one_is_refused(self) -> None:
        assert refused(chosen_export_columns, "flag:Bad")[0] == "flag:Bad"
        assert "'email' named twice" in refused(chosen_export_columns, "email,name,email")[1]

    def test_cells_as_an_import_takes_them(self) -> None:
        record = _Exported()
        assert export_cell(record, "tags") == "a;b c"
        assert export_cell(record, "sections") == ""
        assert export_cell(record, "flag:inclusive") == "true"
        assert export_cell(record, "flag:individual") == "false"
        assert export_cell(record, "flag:unknown") == ""
        assert export_cell(record, "email") == "ada@example.org"
        assert export_cell(record, "middle_name") is None
