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

from registration.domain.sign_up import (
    MAX_NAME,
    MAX_PASSWORD,
    MIN_PASSWORD,
    NAME_PATTERN,
    REFUSALS,
    TOKEN_PATTERN,
    USERNAME_PATTERN,
    USERNAME_RULE,
)


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
    """A sign-up: its schema holds every rule the form has, but that a name's length counts
    its characters as sent (the form collapses whitespace first)."""

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
    last_name: Annotated[
        str,
        Field(pattern=NAME_PATTERN, max_length=MAX_NAME, description="Whitespace is collapsed"),
        _reasoned("last_name"),
    ]
    username: Annotated[
        str,
        Field(pattern=USERNAME_PATTERN, description=f"{USERNAME_RULE}; trimmed, lower-cased"),
        _reasoned("username"),
    ]
    password: Annotated[
        str,
        Field(min_length=MIN_PASSWORD, max_length=MAX_PASSWORD),
        _reasoned("password"),
    ]


class RegistrationOut(BaseModel):
    account_id: str
    username: str
    email: str
    course: str
