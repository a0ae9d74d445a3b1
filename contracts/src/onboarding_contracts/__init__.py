"""Event contracts of the onboarding platform.

Other products depend on this package alone: the envelope every event travels in, one model
per event type, the topics they are published on and the key each topic is partitioned by.
"""

from onboarding_contracts.envelope import Envelope, Origin, Payload, new_event_id
from onboarding_contracts.events import (
    EVENT_TYPES,
    AccountActivated,
    ActivationApproved,
    CredentialsRequested,
    EnrolmentActivated,
    EnrolmentCancelled,
    EnrolmentCreated,
    InvitationAccepted,
    InvitationExpired,
    InvitationIssued,
    InvitationRequested,
    InvitationRevoked,
    MessagingSettingsChanged,
    NotificationDeferred,
    NotificationDelivered,
    NotificationFailed,
    NotificationSent,
    RegistrationCompleted,
    ReminderRequested,
    UnknownEventType,
    parse_event,
)
from onboarding_contracts.topics import Topic, topic_of

__all__ = [
    "EVENT_TYPES",
    "AccountActivated",
    "ActivationApproved",
    "CredentialsRequested",
    "EnrolmentActivated",
    "EnrolmentCancelled",
    "EnrolmentCreated",
    "Envelope",
    "InvitationAccepted",
    "InvitationExpired",
    "InvitationIssued",
    "InvitationRequested",
    "InvitationRevoked",
    "MessagingSettingsChanged",
    "NotificationDeferred",
    "NotificationDelivered",
    "NotificationFailed",
    "NotificationSent",
    "Origin",
    "Payload",
    "RegistrationCompleted",
    "ReminderRequested",
    "Topic",
    "UnknownEventType",
    "new_event_id",
    "parse_event",
    "topic_of",
]
