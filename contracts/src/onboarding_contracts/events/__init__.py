"""One model per event type, in one module per emitting service.

Compatibility rule: a new schema version may add optional fields; it never removes, renames
or retypes one. `tests/test_schemas.py` enforces it against the committed JSON Schemas.
"""

import json

from onboarding_contracts.envelope import Envelope
from onboarding_contracts.events.enrolment import (
    Activation,
    ActivationApproved,
    ActivationApprovedData,
    Channel,
    CredentialsRequested,
    CredentialsRequestedData,
    EnrolmentActivated,
    EnrolmentActivatedData,
    EnrolmentCancelled,
    EnrolmentCancelledData,
    EnrolmentCreated,
    EnrolmentCreatedData,
    InvitationRequested,
    InvitationRequestedData,
    LinkPolicy,
    Locale,
    MessagingSettingsChanged,
    MessagingSettingsChangedData,
    ReminderRequested,
    ReminderRequestedData,
    Role,
    UsernameSource,
)
from onboarding_contracts.events.invitation import (
    InvitationAccepted,
    InvitationAcceptedData,
    InvitationExpired,
    InvitationExpiredData,
    InvitationIssued,
    InvitationIssuedData,
    InvitationRevoked,
    InvitationRevokedData,
    LinkPurpose,
    SendReason,
    link_context_of,
    sealed_link_context,
)
from onboarding_contracts.events.notification import (
    MessageKind,
    NotificationDeferred,
    NotificationDeferredData,
    NotificationDelivered,
    NotificationDeliveredData,
    NotificationFailed,
    NotificationFailedData,
    NotificationSent,
    NotificationSentData,
)
from onboarding_contracts.events.registration import (
    AccountActivated,
    AccountActivatedData,
    RegistrationCompleted,
    RegistrationCompletedData,
)

EVENT_TYPES: dict[str, type[Envelope]] = {
    model.event_type: model
    for model in (
        EnrolmentCreated,
        EnrolmentActivated,
        EnrolmentCancelled,
        ActivationApproved,
        InvitationRequested,
        ReminderRequested,
        CredentialsRequested,
        InvitationIssued,
        InvitationExpired,
        InvitationAccepted,
        InvitationRevoked,
        MessagingSettingsChanged,
        NotificationSent,
        NotificationFailed,
        NotificationDeferred,
        NotificationDelivered,
        RegistrationCompleted,
        AccountActivated,
    )
}


class UnknownEventType(ValueError):
    pass


def parse_event(raw: bytes | str) -> Envelope:
    """Decode one event from its JSON form into its model.

    Raises `pydantic.ValidationError` for malformed input and `UnknownEventType` for a type
    this version of the contracts does not know (a consumer may choose to skip those)."""
    document = json.loads(raw)
    if not isinstance(document, dict):
        raise ValueError("an event must be a JSON object")
    event_type = document.get("type")
    model = EVENT_TYPES.get(event_type) if isinstance(event_type, str) else None
    if model is None:
        raise UnknownEventType(f"unknown event type: {event_type!r}")
    return model.model_validate(document)


__all__ = [
    "EVENT_TYPES",
    "AccountActivated",
    "AccountActivatedData",
    "Activation",
    "ActivationApproved",
    "ActivationApprovedData",
    "Channel",
    "CredentialsRequested",
    "CredentialsRequestedData",
    "EnrolmentActivated",
    "EnrolmentActivatedData",
    "EnrolmentCancelled",
    "EnrolmentCancelledData",
    "EnrolmentCreated",
    "EnrolmentCreatedData",
    "InvitationAccepted",
    "InvitationAcceptedData",
    "InvitationExpired",
    "InvitationExpiredData",
    "InvitationIssued",
    "InvitationIssuedData",
    "InvitationRequested",
    "InvitationRequestedData",
    "InvitationRevoked",
    "InvitationRevokedData",
    "LinkPolicy",
    "LinkPurpose",
    "Locale",
    "MessageKind",
    "MessagingSettingsChanged",
    "MessagingSettingsChangedData",
    "NotificationDeferred",
    "NotificationDeferredData",
    "NotificationDelivered",
    "NotificationDeliveredData",
    "NotificationFailed",
    "NotificationFailedData",
    "NotificationSent",
    "NotificationSentData",
    "RegistrationCompleted",
    "RegistrationCompletedData",
    "ReminderRequested",
    "ReminderRequestedData",
    "Role",
    "SendReason",
    "UnknownEventType",
    "UsernameSource",
    "link_context_of",
    "parse_event",
    "sealed_link_context",
]
