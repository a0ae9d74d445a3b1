"""Request and response bodies of the JSON routes."""

from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)
from pydantic_core import PydanticCustomError

from registration.domain.passwords import PASSWORD_RULES
from registration.domain.sign_up import (
    MAX_NAME,
    MAX_PASSWORD,
    MAX_PHONE,
    MIN_PASSWORD,
    NAME_PATTERN,
    REFUSALS,
    TOKEN_PATTERN,
    USERNAME_PATTERN,
    USERNAME_RULE,
)
from registration.domain.usernames import Availability


def _reasoned(field: str) -> WrapValidator:
    """A field whose schema constraints fail is refused with the sign-up rule's reason, in
    the words a person reads (pydantic's own words name a regular expression)."""
    refusal = REFUSALS[field]

    def validate(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(value)
        except ValidationError:
            reason = refusal(value) if isinstance(value, str) else None
            if reason is None:  # not a string, or refused by the schema alone
                raise
            raise PydanticCustomError("sign_up", "{reason}", {"reason": reason}) from None

    return WrapValidator(validate)


class RegistrationIn(BaseModel):
    """A sign-up. Its schema holds every rule that needs neither the invitation nor a
    list: a name's length counts its characters as sent (the rules collapse whitespace
    first), and a body it admits may still be refused (422) once the link is judged, for
    a password the policy refuses or a phone number that does not exist."""

    # The patterns are checked as the sign-up rules check them, by Python's `re`.
    model_config = ConfigDict(regex_engine="python-re")

    token: Annotated[
        str,
        Field(pattern=TOKEN_PATTERN, description="The `token` of the invitation link"),
        _reasoned("token"),
    ]
    first_name: Annotated[
        str,
        Field(pattern=NAME_PATTERN, max_length=MAX_NAME, description="Whitespace is collapsed"),
        _reasoned("first_name"),
    ]
    middle_name: Annotated[
        str | None,
        Field(max_length=MAX_NAME, description="Optional; whitespace is collapsed"),
        _reasoned("middle_name"),
    ] = None
    last_name: Annotated[
        str,
        Field(pattern=NAME_PATTERN, max_length=MAX_NAME, description="Whitespace is collapsed"),
        _reasoned("last_name"),
    ]
    phone: Annotated[
        str | None,
        Field(
            max_length=MAX_PHONE,
            description="Optional contact number in international format (+ and the "
            "country code), stored as E.164; refused (422) unless it is a valid number",
        ),
        _reasoned("phone"),
    ] = None
    username: Annotated[
        str | None,
        Field(
            pattern=USERNAME_PATTERN,
            description=f"{USERNAME_RULE}; trimmed, lower-cased. Required unless the "
            "tenant's usernames are email addresses: then it is the invitation's email "
            "address, and one sent is ignored",
        ),
        _reasoned("username"),
    ] = None
    password: Annotated[
        str,
        Field(
            min_length=MIN_PASSWORD,
            max_length=MAX_PASSWORD,
            description=f"NFKC-normalised before it is checked and hashed. {PASSWORD_RULES}",
        ),
        _reasoned("password"),
    ]


class RegistrationOut(BaseModel):
    account_id: str
    username: str
    email: str
    course: str
    awaiting_activation: bool = Field(
        description="True when an administrator activates the account (it cannot sign in "
        "until then)"
    )


class AvailabilityOut(BaseModel):
    username: str = Field(description="As it would be stored (trimmed, lower case) if valid")
    status: Availability
    reason: str | None = Field(default=None, description="Why it is invalid")
