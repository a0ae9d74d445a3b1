"""The invitation service's internal API: whether a link may be used, using it, and
replacing it.

The invitation service is the single judge of single use and of every link's replacement:
the registration service asks it whether a link may be used, redeems it, and forwards a
person's request for a new link; the enrolment service asks it to resend an invitation for
an admin. Both sides import this module, so the paths, the header, the bodies and the
refusal statuses are written once.
"""

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from onboarding_contracts.events.enrolment import Id, LinkPolicy
from onboarding_contracts.events.invitation import LinkPurpose

PREFIX = "/internal/v1/invitations"
INSPECT_PATH = "/inspect"
REDEEM_PATH = "/redeem"
RESEND_PATH = "/resend"  # an admin's resend, through the enrolment service
NEW_LINK_PATH = "/new-link"  # a person's own request, from the page of a dead link
TOKEN_HEADER = "X-Internal-Token"  # noqa: S105 (a header name)
MAX_TOKEN_LENGTH = 200


class LinkRefusal(StrEnum):
    """Why a link cannot be used."""

    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"
    REVOKED = "revoked"
    REPLACED = "replaced"  # a newer link was sent: this one died when it was

    @property
    def status_code(self) -> int:
        """404 for a link that never existed; 410 for one that existed and is gone."""
        return 404 if self is LinkRefusal.UNKNOWN else 410


class TokenIn(BaseModel):
    token: str = Field(min_length=1, max_length=MAX_TOKEN_LENGTH)


class RedeemIn(TokenIn):
    account_id: str | None = Field(
        default=None,
        max_length=100,
        description="The account being created; a repeat for it gets the same answer",
    )


class LinkDetails(BaseModel):
    """Whose a usable link is: what registration needs to create the account."""

    invitation_id: str
    tenant_id: str
    enrolment_id: str
    email: str
    name: str
    course: str
    course_title: str | None = None
    phone: str | None = None
    expires_at: datetime
    correlation_id: str
    link_policy: LinkPolicy = Field(
        default_factory=LinkPolicy,
        description="The tenant's rules the link was sent under (activation, username source)",
    )
    purpose: LinkPurpose = Field(
        default="sign_up",
        description="sign_up: the sign-up form; set_password: credentials were sent, the "
        "sign-in name is the email address and the person only sets a password",
    )


class RefusalOut(BaseModel):
    reason: LinkRefusal
    message: str = Field(description="What the person can do about it")
    new_link_allowed: bool = Field(
        default=False,
        description="Whether the person may ask for a new link from this page "
        f"({NEW_LINK_PATH}): the tenant allows it and the invitation can still be resent",
    )


class ResendRefusal(StrEnum):
    """Why an invitation cannot be resent (every one answers 409)."""

    NOT_ISSUED = "not_issued"  # its first link is still on its way (or there is none)
    ACCEPTED = "accepted"
    REVOKED = "revoked"
    LIMIT_REACHED = "limit_reached"
    NOT_ALLOWED = "not_allowed"  # the tenant does not let people ask for a new link
    TOO_SOON = "too_soon"  # a link was sent moments ago (no spam on double clicks)


class ResendRefusedOut(BaseModel):
    reason: ResendRefusal
    message: str


class ResendIn(BaseModel):
    tenant_id: Id
    enrolment_id: Id
    link_policy: LinkPolicy = Field(default_factory=LinkPolicy)


class InvitationState(BaseModel):
    """Where an invitation stands after a resend."""

    invitation_id: str
    enrolment_id: str
    status: str
    send_count: int
    resend_count: int
    reminder_count: int
    last_sent_at: datetime
    expires_at: datetime


class NewLinkOut(BaseModel):
    message: str = Field(description="What the person is told: where the new link went")
