"""The status an enrolment starts in, how events and admins move it, and how an import
ends."""

from dataclasses import dataclass
from enum import StrEnum

from enrolment.domain.people import Person
from enrolment.domain.policy import InvitePolicy
from enrolment.errors import ActivationRefused, EnrolmentStateConflict


class EnrolmentStatus(StrEnum):
    ENROLLED = "enrolled"  # not invited yet
    INVITED = "invited"
    PENDING_ACTIVATION = "pending_activation"
    ACTIVE = "active"
    EXPIRED = "expired"
    FAILED = "failed"  # the last link could not be delivered (domain/messages.py)
    CANCELLED = "cancelled"


# The only status an admin can invite from (`check_invitable`); bulk invites select it.
INVITABLE = EnrolmentStatus.ENROLLED
# Who can be sent credentials: anyone who has not registered and is not withdrawn.
CREDENTIALS_FROM = frozenset(
    {
        EnrolmentStatus.ENROLLED,
        EnrolmentStatus.INVITED,
        EnrolmentStatus.EXPIRED,
        EnrolmentStatus.FAILED,
    }
)
# Whom a new link makes invited (again).
_INVITED_BY_A_LINK = (EnrolmentStatus.ENROLLED, EnrolmentStatus.EXPIRED, EnrolmentStatus.FAILED)


@dataclass(frozen=True)
class NewEnrolment:
    id: str
    person: Person
    status: EnrolmentStatus = EnrolmentStatus.ENROLLED
    account_id: str | None = None
    invite: bool = False  # the invitation is asked for at once


def new_enrolment(
    enrolment_id: str, person: Person, policy: InvitePolicy, account_id: str | None
) -> NewEnrolment:
    """Someone who already has an account in the tenant is active at once and never invited
    again; anyone else is enrolled, and invited at once unless the policy says by hand."""
    if account_id is not None:
        return NewEnrolment(enrolment_id, person, EnrolmentStatus.ACTIVE, account_id)
    return NewEnrolment(enrolment_id, person, invite=policy is InvitePolicy.AUTO)


def status_after_invitation_issued(current: EnrolmentStatus) -> EnrolmentStatus:
    """A (re)sent invitation makes an enrolled, expired or failed person invited (a new
    link is a new chance to reach them); nothing else moves."""
    if current in _INVITED_BY_A_LINK:
        return EnrolmentStatus.INVITED
    return current


def status_after_delivery_failed(current: EnrolmentStatus) -> EnrolmentStatus:
    """The message carrying an invited person's current link was given up: they are failed
    until a newer link is sent. Anyone further along (or withdrawn) stays as they are, and
    an expired link stays expired."""
    if current is EnrolmentStatus.INVITED:
        return EnrolmentStatus.FAILED
    return current


def status_after_invitation_expired(current: EnrolmentStatus) -> EnrolmentStatus:
    """A link that expired unused makes an invited person expired (a resend or a reminder
    makes them invited again); nobody further along moves back."""
    if current is EnrolmentStatus.INVITED:
        return EnrolmentStatus.EXPIRED
    return current


def status_after_registration(
    current: EnrolmentStatus, *, awaiting_activation: bool
) -> EnrolmentStatus:
    """A person who registered with a tenant that approves accounts by hand waits for an
    admin (pending_activation); otherwise AccountActivated, which follows, moves them. A
    cancelled or already active enrolment stays as it is."""
    if awaiting_activation and current not in (EnrolmentStatus.ACTIVE, EnrolmentStatus.CANCELLED):
        return EnrolmentStatus.PENDING_ACTIVATION
    return current


def status_after_account_activated(current: EnrolmentStatus) -> EnrolmentStatus:
    if current is EnrolmentStatus.CANCELLED:
        return current
    return EnrolmentStatus.ACTIVE


def check_invitable(status: EnrolmentStatus, *, invitation_requested: bool) -> None:
    """An admin may invite an enrolment by hand only once, and only before any invitation."""
    if status is not INVITABLE:
        raise EnrolmentStateConflict(
            f"the enrolment is {status.value}: only enrolled people who were not invited can be"
        )
    if invitation_requested:
        raise EnrolmentStateConflict("an invitation was already requested")


def check_cancellable(status: EnrolmentStatus) -> None:
    if status is EnrolmentStatus.CANCELLED:
        raise EnrolmentStateConflict("the enrolment is already cancelled")


class ActivationRefusal(StrEnum):
    """Why an enrolment cannot be activated by an admin (each answers 409)."""

    ACTIVE = "active"  # already
    CANCELLED = "cancelled"
    NOT_REGISTERED = "not_registered"  # enrolled, invited, expired or failed: no account yet


# The only status an admin can activate from (`check_activatable`); bulk activation selects it.
ACTIVATABLE = EnrolmentStatus.PENDING_ACTIVATION


def check_activatable(status: EnrolmentStatus) -> None:
    """Only a person who registered and waits for approval can be activated. Asking again
    while the approval is on its way is not refused: the registration service applies it
    once."""
    if status is ACTIVATABLE:
        return
    if status is EnrolmentStatus.ACTIVE:
        raise ActivationRefused(ActivationRefusal.ACTIVE, "the account is active already")
    if status is EnrolmentStatus.CANCELLED:
        raise ActivationRefused(ActivationRefusal.CANCELLED, "the enrolment is cancelled")
    raise ActivationRefused(
        ActivationRefusal.NOT_REGISTERED,
        f"the enrolment is {status.value}: only people who registered and wait for approval "
        "can be activated",
    )


class ImportStatus(StrEnum):
    PROCESSING = "processing"
    COMPLETED = "completed"
    COMPLETED_WITH_ERRORS = "completed_with_errors"
    FAILED = "failed"  # no row enrolled, or the import broke off


def import_status(enrolled: int, failed: int) -> ImportStatus:
    if failed == 0:
        return ImportStatus.COMPLETED
    return ImportStatus.COMPLETED_WITH_ERRORS if enrolled else ImportStatus.FAILED
