"""Contact phone numbers: international format in, E.164 out; a clear reason otherwise."""

import pytest
from registration.domain.phones import (
    MAX_PHONE,
    NOT_A_NUMBER,
    NOT_INTERNATIONAL,
    as_typed,
    e164,
    phone_refusal,
)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("+44 20 7946 0958", "+442079460958"),
        ("+1 (415) 555-2671", "+14155552671"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("  +4915123456789 ", "+4915123456789"),
    ],
)
def test_a_valid_international_number_is_stored_as_e164(typed: str, stored: str) -> None:
    assert phone_refusal(typed) is None
    assert e164(typed) == stored


@pytest.mark.parametrize("empty", ["", "   "])
def test_the_field_is_optional(empty: str) -> None:
    assert phone_refusal(empty) is None
    assert e164(empty) is None


@pytest.mark.parametrize("typed", ["020 7946 0958", "0044 20 7946 0958", "phone me"])
def test_a_number_without_its_country_code_is_refused(typed: str) -> None:
    assert phone_refusal(typed) == NOT_INTERNATIONAL


@pytest.mark.parametrize("typed", ["+999", "+1 555", "+44 20 7946 09588888", "+abc"])
def test_a_number_that_does_not_exist_is_refused(typed: str) -> None:
    assert phone_refusal(typed) == NOT_A_NUMBER


def test_a_number_too_long_to_read_is_refused() -> None:
    assert phone_refusal("+44 " + "2" * MAX_PHONE) == f"at most {MAX_PHONE} characters"


def test_a_number_on_file_is_shown_for_people_to_read() -> None:
    assert as_typed("+442079460958") == "+44 20 7946 0958"
    assert as_typed("020 7946 0958") == "020 7946 0958", "as it is: the person corrects it"
    assert as_typed(None) == ""
