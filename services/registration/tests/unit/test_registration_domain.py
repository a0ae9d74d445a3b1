"""The sign-up form: every problem at once, keyed by field; clean values otherwise (the
password policy and phone numbers have tests of their own)."""

import re

import jsonschema_rs
import pytest
from onboarding_kit.errors import FieldError, InvalidInput
from registration.domain.sign_up import (
    MAX_NAME,
    MAX_PASSWORD,
    MIN_PASSWORD,
    NAME_PATTERN,
    TOKEN_PATTERN,
    USERNAME_PATTERN,
    WHITESPACE,
    LinkTerms,
    SignUp,
    SignUpForm,
    validate_sign_up,
)

from .conftest import PASSWORDS

GOOD: dict[str, str] = {
    "token": "tok-123",
    "first_name": "Ann",
    "last_name": "Lee",
    "username": "ann.lee",
    "password": "correct horse",
}
TERMS = LinkTerms(email="ann@example.org")
BY_EMAIL = LinkTerms(email="Ann.Lee@Example.org", username_source="email")


def sign_up(terms: LinkTerms = TERMS, **changes: str) -> SignUp:
    return validate_sign_up(SignUpForm(**{**GOOD, **changes}), terms, PASSWORDS)


def errors(terms: LinkTerms = TERMS, **changes: str) -> dict[str, str]:
    with pytest.raises(InvalidInput) as caught:
        sign_up(terms, **changes)
    return caught.value.fields


def test_a_good_form() -> None:
    assert sign_up() == SignUp("tok-123", "Ann", "Lee", "ann.lee", "correct horse")


def test_the_optional_fields_cleaned() -> None:
    signed = sign_up(middle_name="  Mary \t Jane ", phone=" +44 20 7946 0958 ")
    assert (signed.middle_name, signed.phone) == ("Mary Jane", "+442079460958")
    assert sign_up(middle_name=" \n ", phone="  ").middle_name is None
    assert sign_up(phone="").phone is None


def test_all_errors_at_once_keyed_by_field_in_the_forms_order() -> None:
    found = errors(
        token="  ",
        first_name="",
        middle_name="x" * (MAX_NAME + 1),
        last_name=" ",
        phone="12345",
        username="x",
        password="short",
    )
    assert list(found) == [
        "token",
        "first_name",
        "middle_name",
        "last_name",
        "phone",
        "username",
        "password",
    ]
    assert found["first_name"] == "enter your first name"
    assert found["last_name"] == "enter your last name"
    assert found["password"] == f"at least {MIN_PASSWORD} characters"


def test_only_the_bad_fields_are_reported() -> None:
    assert set(errors(username="!bad", password="short")) == {"username", "password"}


def test_message_lists_every_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        sign_up(first_name="", password="short")
    assert str(caught.value) == (
        "first_name: enter your first name; password: at least 10 characters"
    )
    # Bad input, answered 422 with each field named.
    assert caught.value.status == 422
    assert caught.value.errors == [
        FieldError("first_name", "enter your first name"),
        FieldError("password", "at least 10 characters"),
    ]


# --- username ----------------------------------------------------------------------------


def test_a_missing_username_is_asked_for() -> None:
    assert errors(username="  ") == {"username": "choose a username"}


def test_with_usernames_from_email_the_username_is_the_invitations_address() -> None:
    """Seed 004: the sign-in name is the organisation's address. A username sent along
    (a hidden field a person could change) is ignored, valid or not."""
    for sent in ("", "someone.else", "not valid!"):
        assert sign_up(BY_EMAIL, username=sent).username == "ann.lee@example.org"
    assert errors(BY_EMAIL, password="ANN.LEE@example.org") == {
        "password": "must not be your username or your email address"
    }


def test_the_password_is_judged_against_this_persons_username_and_email() -> None:
    assert errors(password="Ann.Lee") == {"password": "at least 10 characters"}
    assert errors(username="annlee2024x", password="ANNLEE2024X") == {
        "password": "must not be your username or your email address"
    }
    assert errors(password="ann@example.org") == {
        "password": "must not be your username or your email address"
    }


def test_the_password_is_kept_nfkc_normalised() -> None:
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in "correct") + " horse"
    assert sign_up(password=full_width).password == "correct horse"


def test_username_is_trimmed_and_lower_cased() -> None:
    assert sign_up(username="  Ann.Lee_2 ").username == "ann.lee_2"


@pytest.mark.parametrize(
    "username",
    ["abc", "a" * 32, "0ann", "ann-lee", "ann_lee", "ann.lee", "a1.", "ANN"],
)
def test_valid_usernames(username: str) -> None:
    assert sign_up(username=username).username == username.lower()


@pytest.mark.parametrize(
    "username",
    [
        "",
        "ab",  # too short
        "a" * 33,  # too long
        ".ann",  # must start with a letter or digit
        "-ann",
        "_ann",
        "ann lee",
        "ann@lee",
        "anné",
    ],
)
def test_invalid_usernames(username: str) -> None:
    assert "username" in errors(username=username)


def test_username_length_is_judged_after_trimming() -> None:
    assert sign_up(username="  abc  ").username == "abc"
    assert "username" in errors(username="  ab  ")


# --- password ----------------------------------------------------------------------------


def password_of(length: int) -> str:
    return ("pq7" * MAX_PASSWORD)[:length]  # ("xxxxxxxxxx" is a common password)


def test_password_bounds() -> None:
    for length in (MIN_PASSWORD, MAX_PASSWORD):
        assert sign_up(password=password_of(length)).password == password_of(length)
    assert errors(password=password_of(MIN_PASSWORD - 1)) == {
        "password": f"at least {MIN_PASSWORD} characters"
    }
    assert errors(password=password_of(MAX_PASSWORD + 1)) == {
        "password": f"at most {MAX_PASSWORD} characters"
    }


def test_password_is_kept_as_typed_once_normalised() -> None:
    password = "  spaced out passphrase  "
    assert sign_up(password=password).password == password


def test_password_is_not_in_the_error_message() -> None:
    with pytest.raises(InvalidInput) as caught:
        sign_up(password="hunter2!", username="")
    assert "hunter2!" not in str(caught.value)


# --- names and token ---------------------------------------------------------------------


def test_names_are_whitespace_collapsed() -> None:
    signed = sign_up(first_name="  Ann \t Marie ", last_name="\nvan   der  Berg ")
    assert signed.first_name == "Ann Marie"
    assert signed.last_name == "van der Berg"


@pytest.mark.parametrize("field", ["first_name", "last_name"])
def test_name_length(field: str) -> None:
    assert getattr(sign_up(**{field: "x" * MAX_NAME}), field) == "x" * MAX_NAME
    assert errors(**{field: "x" * (MAX_NAME + 1)}) == {field: f"at most {MAX_NAME} characters"}


@pytest.mark.parametrize("field", ["first_name", "last_name"])
def test_name_length_is_judged_after_collapsing(field: str) -> None:
    padded = "  " + "x" * (MAX_NAME - 1) + "     y   "  # MAX_NAME + 1 once collapsed
    assert len(" ".join(padded.split())) == MAX_NAME + 1
    assert field in errors(**{field: padded})
    roomy = "x" * 50 + " " * 100 + "y" * 49  # 200 typed, 100 collapsed
    assert getattr(sign_up(**{field: roomy}), field) == "x" * 50 + " " + "y" * 49


def test_token_is_trimmed() -> None:
    assert sign_up(token="  tok-123\n").token == "tok-123"


@pytest.mark.parametrize("token", ["", "   "])
def test_missing_token(token: str) -> None:
    assert errors(token=token) == {"token": "the invitation link is incomplete"}


@pytest.mark.parametrize("field", ["first_name", "last_name"])
def test_control_characters_in_names_are_spaces(field: str) -> None:
    assert getattr(sign_up(**{field: "Ann\x00Marie\x1b\r\nLee"}), field) == "Ann Marie Lee"
    assert field in errors(**{field: "\x00\x07 \x9f"})


def test_a_username_is_ascii_before_lower_casing() -> None:
    assert "username" in errors(username="\u212aate")  # KELVIN SIGN, whose lower() is "k"


# --- the patterns the JSON route's schema states -------------------------------------------


def test_whitespace_is_what_strip_and_split_take() -> None:
    assert {c for c in map(chr, range(0x110000)) if re.fullmatch(f"[{WHITESPACE}]", c)} == {
        c for c in map(chr, range(0x110000)) if c.isspace()
    }


@pytest.mark.parametrize("pattern", [TOKEN_PATTERN, NAME_PATTERN, USERNAME_PATTERN])
def test_a_schema_validator_judges_as_the_rules_do(pattern: str) -> None:
    """jsonschema-rs (schemathesis's validator, ECMAScript-like) agrees with Python's `re`
    on every character, alone and around a valid username."""
    schema = jsonschema_rs.validator_for({"type": "string", "pattern": pattern})
    characters = [chr(c) for c in range(0x30000) if not 0xD800 <= c <= 0xDFFF]
    for value in [*characters, *(f"{c}ann{c}" for c in characters)]:
        assert schema.is_valid(value) == bool(re.search(pattern, value)), repr(value)
