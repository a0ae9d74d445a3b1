"""The invitation service's exceptions: each class is its one mapping to problem+json."""

from onboarding_contracts.internal.invitations import (
    TOKEN_HEADER,
    LinkRefusal,
    RefusalOut,
    ResendRefusal,
    ResendRefusedOut,
)
from onboarding_kit.errors import Conflict, Problem

from invitation.domain.resends import resend_message
from invitation.domain.statuses import refusal_message


class LinkRefused(Problem):
    """A link that may not be used: 404 when it never existed, 410 when it is gone. The
    problem also carries the contract's `reason`, `message` and `new_link_allowed` members,
    which the registration service reads to tell the person what happened, and what they
    can do next."""

    title = "The invitation link cannot be used"

    def __init__(self, reason: LinkRefusal, *, new_link_allowed: bool = False) -> None:
        refusal = RefusalOut(
            reason=reason,
            message=refusal_message(reason, new_link_allowed=new_link_allowed),
            new_link_allowed=new_link_allowed,
        )
        super().__init__(
            refusal.message, status=reason.status_code, **refusal.model_dump(mode="json")
        )
        self.reason = reason
        self.new_link_allowed = new_link_allowed


class ResendRefused(Conflict):
    """An invitation that may not get a new link now (409): the contract's `reason` and
    `message` members say why, in words an admin, or the person, can act on."""

    title = "No new link can be sent"

    def __init__(self, reason: ResendRefusal, *, max_resends: int) -> None:
        refused = ResendRefusedOut(
            reason=reason, message=resend_message(reason, max_resends=max_resends)
        )
        super().__init__(refused.message, **refused.model_dump(mode="json"))
        self.reason = reason


class NotAnInternalCaller(Problem):
    """The internal routes answer only callers holding the internal token."""

    status = 401
    title = "Unauthorized"

    def __init__(self) -> None:
        super().__init__(f"this internal endpoint needs a valid {TOKEN_HEADER} header")
