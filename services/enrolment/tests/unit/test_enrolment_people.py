"""Who may be enrolled: validating a person, and a change to an enrolment, by the same
rules."""

import pytest
from enrolment.domain.people import (
    CHANNELS,
    EVENT_FIELDS,
    ROLES,
    Person,
    check_reachable,
    normalise_email,
    validate_changes,
    validate_person,
)
from enrolment.domain.text import LOCALE_PATTERN, MAX_LOCALE_LENGTH
from enrolment.errors import InvalidEnrolment
from onboarding_contracts.events import EnrolmentCreatedData
from onboarding_kit.errors import InvalidField

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

    @pytest.mark.parametrize(
        ("field", "value", "known"), [("role", "wizard", ROLES), ("channel", "fax", CHANNELS)]
    )
    def test_an_unknown_role_or_channel_is_refused_listing_the_known_ones(
        self, field: str, value: str, known: tuple[str, ...]
    ) -> None:
        with pytest.raises(InvalidEnrolment) as caught:
            validate_person(email="ann@example.org", name="Ann", external_id="s1", **{field: value})
        assert caught.value.field == field
        assert f"'{value}'" in caught.value.reason
        for name in known:
            assert name in caught.value.reason

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
        assert isinstance(error, InvalidField) and error.status == 422
        assert [(e.field, e.reason) for e in error.errors] == [("name", "missing name")]


def test_international_domains_are_kept_in_their_ascii_form() -> None:
    assert normalise_email("Ada@Exämple.com") == "ada@xn--exmple-cua.com"
    with pytest.raises(InvalidEnrolment, match="non-ASCII"):
        normalise_email("josé@example.com")


class TestLocale:
    @pytest.mark.parametrize(
        ("given", "stored"),
        [("fr", "fr"), (" EN ", "en"), ("pt-BR", "pt-BR"), ("PT-BR", "pt-BR"), ("", None)],
    )
    def test_the_language_is_lower_cased_the_rest_kept(self, given: str, stored: str) -> None:
        person = validate_person(email="a@example.org", name="A", external_id="1", locale=given)
        assert person.locale == stored

    @pytest.mark.parametrize("given", ["f", "français", "pt_BR", "en-", "x" * 3 + "-" + "a" * 40])
    def test_anything_but_a_language_tag_is_refused(self, given: str) -> None:
        for validate in (
            lambda: validate_person(email="a@example.org", name="A", external_id="1", locale=given),
            lambda: validate_changes({"locale": given}),
        ):
            with pytest.raises(InvalidEnrolment) as caught:
                validate()
            assert caught.value.field == "locale"

    def test_it_may_be_changed_or_cleared(self) -> None:
        assert validate_changes({"locale": "DE-at"}) == {"locale": "de-at"}
        assert validate_changes({"locale": None}) == {"locale": None}

    def test_the_pattern_is_the_contracts(self) -> None:
        schema = EnrolmentCreatedData.model_json_schema()["properties"]["locale"]
        [tag] = [branch for branch in schema["anyOf"] if branch.get("type") == "string"]
        assert (tag["pattern"], tag["maxLength"]) == (LOCALE_PATTERN, MAX_LOCALE_LENGTH)


# --- validate_changes --------------------------------------------------------------------


class TestValidateChanges:
    @pytest.mark.parametrize(
        "changes", [{"email": "eve@example.org"}, {"name": "Ada", "email": "eve@example.org"}]
    )
    def test_the_email_never_changes(self, changes: dict) -> None:
        with pytest.raises(InvalidEnrolment) as caught:
            validate_changes(changes)
        assert caught.value.field == "email"
        assert "enrol the new address" in caught.value.reason

    def test_a_field_that_is_not_editable_is_named(self) -> None:
        with pytest.raises(InvalidEnrolment) as caught:
            validate_changes({"status": "active"})
        assert caught.value.field == "status"
        assert "editable" in caught.value.reason

    def test_the_name_and_role_rules_are_those_of_a_new_enrolment(self) -> None:
        clean = validate_changes({"name": "  Ada   King ", "role": " Mentor "})
        assert clean == {"name": "Ada King", "role": "mentor"}
        for changes, field in [
            ({"name": "   "}, "name"),
            ({"name": "x" * 201}, "name"),
            ({"role": "wizard"}, "role"),
        ]:
            with pytest.raises(InvalidEnrolment) as changed:
                validate_changes(changes)
            with pytest.raises(InvalidEnrolment) as new:
                validate_person(
                    **{"email": "a@example.org", "name": "A", "external_id": "1", **changes}
                )
            assert changed.value.field == new.value.field == field
            assert changed.value.reason == new.value.reason

    def test_a_blank_role_or_external_id_is_refused_not_defaulted(self) -> None:
        for field in ("role", "external_id"):
            with pytest.raises(InvalidEnrolment) as caught:
                validate_changes({field: "  "})
            assert caught.value.field == field

    def test_phone_and_cohort_may_be_cleared(self) -> None:
        assert validate_changes({"phone": " ", "cohort": None, "external_id": " S-2 "}) == {
            "phone": None,
            "cohort": None,
            "external_id": "S-2",
        }

    def test_nothing_to_change(self) -> None:
        assert validate_changes({}) == {}


def test_an_sms_enrolment_needs_a_phone_whoever_asks() -> None:
    check_reachable("sms", "+44 1")
    check_reachable("email", None)
    with pytest.raises(InvalidEnrolment) as caught:
        check_reachable("sms", None)
    assert caught.value.field == "phone"


def test_enrolment_created_carries_every_detail_of_the_person_and_no_other() -> None:
    # `EnrolmentCreatedData` is built from the person's fields by name: a detail added to
    # `Person` must be in the contract first, or it would travel as an unknown field. The
    # school's record of the person (`attributes`) stays in the enrolment service.
    person_fields = set(EVENT_FIELDS)
    assert person_fields == set(Person.__dataclass_fields__) - {"attributes"}
    assert person_fields <= set(EnrolmentCreatedData.model_fields)
    assert set(EnrolmentCreatedData.model_fields) - person_fields == {
        "enrolment_id",
        "course",
        "course_title",
        "import_id",
        "invite",
        "link_policy",
    }
