"""Events the enrolment service applies: decode, call the reaction, in the consumer's
transaction."""

from functools import partial

from onboarding_contracts import (
    AccountActivated,
    InvitationAccepted,
    InvitationExpired,
    InvitationIssued,
    InvitationRevoked,
    NotificationDeferred,
    NotificationDelivered,
    NotificationFailed,
    NotificationSent,
    RegistrationCompleted,
)
from onboarding_kit.consumer import Batched, Subscriptions

from enrolment.bootstrap import EnrolmentDependencies
from enrolment.store import EnrolmentTransaction
from enrolment.use_cases import deliveries, reactions


def subscriptions(deps: EnrolmentDependencies) -> Subscriptions[EnrolmentTransaction]:
    clock = deps.clock
    return Subscriptions(
        EnrolmentTransaction,
        {
            # Invitations, expiries and deliveries come by the thousand after an import (or
            # a sweep): a few statements per batch rather than per event.
            InvitationIssued.event_type: Batched(
                partial(reactions.invitations_issued, clock=clock)
            ),
            InvitationExpired.event_type: Batched(
                partial(reactions.invitations_expired, clock=clock)
            ),
            InvitationAccepted.event_type: partial(reactions.invitation_accepted, clock=clock),
            InvitationRevoked.event_type: partial(reactions.invitation_revoked, clock=clock),
            NotificationDeferred.event_type: Batched(
                partial(deliveries.notifications_deferred, clock=clock)
            ),
            NotificationSent.event_type: Batched(
                partial(deliveries.notifications_sent, clock=clock)
            ),
            NotificationDelivered.event_type: Batched(
                partial(deliveries.notifications_delivered, clock=clock)
            ),
            NotificationFailed.event_type: Batched(
                partial(deliveries.notifications_failed, clock=clock)
            ),
            RegistrationCompleted.event_type: partial(
                reactions.registration_completed, clock=clock
            ),
            AccountActivated.event_type: partial(reactions.account_activated, clock=clock),
        },
    )
