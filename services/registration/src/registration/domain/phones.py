"""Contact phone numbers: given in international format, kept as E.164.

`phonenumbers` (Google's libphonenumber) judges them from its own metadata, without I/O.
No default region is assumed: a number without its country code could be anyone's, and
the person knows theirs better than a guess from the tenant's country would."""

import phonenumbers

MAX_PHONE = 32  # characters as typed: spaces, dashes and brackets included
NOT_INTERNATIONAL = (
    "enter the number in international format: + and the country code, e.g. +44 20 7946 0958"
)
NOT_A_NUMBER = "this is not a valid phone number: check the country code and the digits"


def _parsed(phone: str) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(phone.strip(), None)
    except phonenumbers.NumberParseException:
        return None


def phone_refusal(phone: str) -> str | None:
    """Why `phone` is refused; None when it is empty (the field is optional) or valid."""
    phone = phone.strip()
    if not phone:
        return None
    if len(phone) > MAX_PHONE:
        return f"at most {MAX_PHONE} characters"
    if not phone.startswith("+"):
        return NOT_INTERNATIONAL
    number = _parsed(phone)
    if number is None or not phonenumbers.is_valid_number(number):
        return NOT_A_NUMBER
    return None


def e164(phone: str) -> str | None:
    """The E.164 form of a phone `phone_refusal` accepts (None for an empty one)."""
    number = _parsed(phone) if phone.strip() else None
    if number is None:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def as_typed(phone: str | None) -> str:
    """How a phone number on file is shown in the form: in international format when it
    is a valid one, as it is otherwise (the person corrects it, or clears it)."""
    if not phone:
        return ""
    number = _parsed(phone) if phone.strip().startswith("+") else None
    if number is None or not phonenumbers.is_valid_number(number):
        return phone
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
