"""The enrolment service's exceptions. Each class is its one mapping to an HTTP answer
(status and title, through the kit's problem+json handlers): nothing ever decides a status
from an error's text."""

from onboarding_kit.errors import Conflict, InvalidField, NotFound, Problem, Unavailable


class Unauthenticated(Problem):
    """No tenant API key, or one no tenant has."""

    status = 401
    title = "Unauthenticated"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class InvalidEnrolment(InvalidField):
    """One field of an enrolment, or of a question about enrolments, is refused (422)."""


class InvalidCsv(Problem):
    """The file as a whole cannot be read (not UTF-8, no header, a required column
    missing): nothing of it is imported."""

    status = 422
    title = "Unreadable file"


class FileTooLarge(Problem):
    """An upload over the service's limits (bytes or rows): refused whole, nothing of it
    is stored."""

    status = 413
    title = "File too large"


class UnsupportedMediaType(Problem):
    status = 415
    title = "Unsupported media type"


class AlreadyEnrolled(Conflict):
    title = "Already enrolled"


class AlreadyExists(Conflict):
    """A course or cohort with this code exists already."""

    title = "Already exists"


class EnrolmentStateConflict(Conflict):
    """The request is valid, but the enrolment's state forbids it now."""

    title = "Not allowed in this state"


class SendRefused(Conflict):
    """A resend or a reminder that is not sent (409). `reason` (a word a program can act
    on: the enrolment service's own, or the invitation service's, passed on) and `message`
    travel as extension members; the message is also the detail."""

    title = "Link not sent"

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message, reason=str(reason), message=message)
        self.reason = str(reason)
        self.message = message


class ActivationRefused(Conflict):
    """An activation that is not asked for (409): only a registered person waiting for
    approval can be activated. `reason` (a word a program can act on) and `message` travel
    as extension members, as for `SendRefused`."""

    title = "Not activated"

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message, reason=str(reason), message=message)
        self.reason = str(reason)
        self.message = message


class InvitationServiceUnavailable(Unavailable):
    """The invitation service, the one judge of a resend, did not answer (503): nothing was
    sent; try again shortly."""

    def __init__(self, cause: str) -> None:
        super().__init__("The invitation service is not answering: try again in a minute.")
        self.cause = cause


class EnrolmentNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("no such enrolment")


class ImportNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("no such import")
