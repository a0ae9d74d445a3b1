"""Events the registration service emits. Subject: the account id."""

from typing import ClassVar, Literal

from pydantic import EmailStr

from onboarding_contracts.envelope import Envelope, Payload


class AccountEvent(Envelope):
    subject_field: ClassVar[str] = "account_id"


class RegistrationCompletedData(Payload):
    account_id: str
    invitation_id: str
    enrolment_id: str
    email: EmailStr
    username: str
    first_name: str
    last_name: str


class RegistrationCompleted(AccountEvent):
    """A person redeemed their link and created an account. Subject: the account id."""

    type: Literal["onboarding.registration.completed"]
    data: RegistrationCompletedData


class AccountActivatedData(Payload):
    account_id: str
    enrolment_id: str
    email: EmailStr


class AccountActivated(AccountEvent):
    """The account may sign in. Subject: the account id."""

    type: Literal["onboarding.registration.account_activated"]
    data: AccountActivatedData
