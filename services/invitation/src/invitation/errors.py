"""The invitation service's exceptions: each class is its one mapping to problem+json."""

from onboarding_contracts.internal.invitations import TOKEN_HEADER, LinkRefusal, RefusalOut
from onboarding_kit.errors import Problem

from invitation.domain.statuses import REFUSAL_MESSAGES


class LinkRefused(Problem):
    """A link that may not be used: 404 when it never existed, 410 when it is gone. The
    problem also carries the contract's `reason` and `message` members, which the
    registration service reads to tell the person what happened."""

    title = "The invitation link cannot be used"

    def __init__(self, reason: LinkRefusal) -> None:
        refusal = RefusalOut(reason=reason, message=REFUSAL_MESSAGES[reason])
        super().__init__(
            refusal.message, status=reason.status_code, **refusal.model_dump(mode="json")
        )
        self.reason = reason


class NotAnInternalCaller(Problem):
    """The internal routes answer only callers holding the internal token."""

    status = 401
    title = "Unauthorized"

    def __init__(self) -> None:
        super().__init__(f"this internal endpoint needs a valid {TOKEN_HEADER} header")
