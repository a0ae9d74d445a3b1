"""The invitation service's internal API: whether a link may be used, and using it.

The invitation service is the single judge of single use; the registration service asks it
over HTTP. Both sides import this module, so the paths, the header, the bodies and the
refusal statuses are written once.
"""

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

PREFIX = "/internal/v1/invitations"
INSPECT_PATH = "/inspect"
REDEEM_PATH = "/redeem"
TOKEN_HEADER = "X-Internal-Token"  # noqa: S105 (a header name)
MAX_TOKEN_LENGTH = 200


class LinkRefusal(StrEnum):
    """Why a link cannot be used."""

    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"
    REVOKED = "revoked"

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
    expires_at: datetime
    correlation_id: str


class RefusalOut(BaseModel):
    reason: LinkRefusal
    message: str = Field(description="What the person can do about it")
