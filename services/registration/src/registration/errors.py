"""The registration service's exceptions: each class is its one mapping to problem+json.

Bad fields of a sign-up are the kit's `InvalidInput` (422, each field named)."""

import math

from onboarding_contracts.internal.invitations import LinkRefusal, ResendRefusal
from onboarding_kit.errors import Conflict, FieldError, Problem, Unavailable


class LinkRefused(Problem):
    """The invitation link cannot be used: 404 when it never existed, 410 when it expired,
    was used, was revoked or was replaced by a newer one. `reason`, `message` and
    `new_link_allowed` (the person may ask for a new link) travel as extension members."""

    title = "Invitation link refused"

    def __init__(
        self, reason: LinkRefusal, message: str, *, new_link_allowed: bool = False
    ) -> None:
        super().__init__(
            message,
            status=reason.status_code,
            reason=reason.value,
            message=message,
            new_link_allowed=new_link_allowed,
        )
        self.reason = reason
        self.message = message
        self.new_link_allowed = new_link_allowed


class NewLinkRefused(Conflict):
    """The person asked for a new link and none may be sent now (409): the tenant does not
    allow it, one was sent minutes ago, or the invitation was resent as often as it may be.
    `message` says which, in the invitation service's words."""

    title = "No new link can be sent"

    def __init__(self, reason: ResendRefusal, message: str) -> None:
        super().__init__(message, reason=reason.value, message=message)
        self.reason = reason
        self.message = message


class UsernameTaken(Conflict):
    """Someone in the tenant holds this username already (409); the link stays unused."""

    title = "Username taken"

    def __init__(self, username: str, *, is_email: bool = False) -> None:
        # A username that is the person's email address cannot be chosen again.
        reason = (
            "an account with this email address exists already: sign in with it, "
            "or ask your administrator"
            if is_email
            else f"{username!r} is taken: choose another"
        )
        super().__init__(reason, errors=[FieldError("username", reason)])
        self.username = username


class CsrfRefused(Problem):
    """A join form was posted without the token of a page this service rendered for its
    link, or from another site (403): it is not read further."""

    status = 403
    title = "Form refused"

    def __init__(self) -> None:
        super().__init__(
            "This form cannot be accepted. Please open the link from your invitation "
            "again and send the form from that page."
        )


class InvitationServiceUnavailable(Unavailable):
    """The invitation service cannot answer now: the link can be neither judged nor used,
    so it stays as it was and the person tries again shortly (503)."""

    def __init__(self, cause: str) -> None:
        super().__init__("Registration is briefly unavailable. Please try again in a minute.")
        self.cause = cause


class TooManyRequests(Problem):
    """A client, or a link, asked more often than the service allows (429); `Retry-After`
    says in how many seconds it may again."""

    status = 429
    title = "Too many requests"

    def __init__(self, retry_after_s: float) -> None:
        seconds = max(1, math.ceil(retry_after_s))
        super().__init__(
            f"Too many attempts. Please wait {seconds} seconds and try again.",
            headers={"Retry-After": str(seconds)},
        )
        self.retry_after_s = seconds


class BodyTooLarge(Problem):
    """The request body is over the limit (413); it was not read further."""

    status = 413
    title = "Request body too large"

    def __init__(self, limit: int) -> None:
        super().__init__(f"The request body is larger than {limit} bytes.")
        self.limit = limit
