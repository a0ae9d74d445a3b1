"""Events the registration service emits. Subject: the account id."""

from typing import ClassVar, Literal

from pydantic import Field

from onboarding_contracts.email import EmailAddress
from onboarding_contracts.envelope import Envelope, Payload


class AccountEvent(Envelope):
    subject_field: ClassVar[str] = "account_id"


class RegistrationCompletedData(Payload):
    account_id: str
    invitation_id: str
    enrolment_id: str
    email: EmailAddress
    username: str
    first_name: str
    last_name: str
    middle_name: str | None = None
    phone: str | None = Field(default=None, description="E.164, as the person gave it")
    awaiting_activation: bool = Field(
        default=False,
        description="True when the tenant activates accounts by hand: AccountActivated "
        "follows only once an admin approved it",
    )


class RegistrationCompleted(AccountEvent):
    """A person redeemed their link and created an account. Subject: the account id."""

    type: Literal["onboarding.registration.completed"]
    data: RegistrationCompletedData


class AccountActivatedData(Payload):
    account_id: str
    enrolment_id: str
    email: EmailAddress
    username: str | None = Field(default=None, description="The sign-in name")
    first_name: str | None = None
    invitation_id: str | None = Field(
        default=None, description="The invitation the account was made through"
    )


class AccountActivated(AccountEvent):
    """The account may sign in. Subject: the account id."""

    type: Literal["onboarding.registration.account_activated"]
    data: AccountActivatedData
