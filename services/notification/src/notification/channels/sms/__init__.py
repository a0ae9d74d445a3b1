"""The SMS channel: the port use cases send through. The adapter for a provider with
Twilio's Messages API shape is in `twilio`."""

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class OutgoingSms:
    message_id: str  # our notification id, for logs; the provider is not told it
    to: str  # E.164
    body: str
    status_callback: str | None  # the URL the provider posts delivery statuses to


@dataclass(frozen=True)
class SmsAccepted:
    """The provider took the message: what it will name it by in its status callbacks."""

    provider_id: str  # Twilio's Message SID
    status: str  # as the provider answered: queued, accepted, sent, ...


class SmsChannel(Protocol):
    async def send(self, message: OutgoingSms) -> SmsAccepted:
        """Hand one text to the provider.

        Raises `notification.errors.MessageRejected` when the provider refuses this message
        for good, `notification.errors.DeliveryDeferred` when it cannot take it now (with
        `retry_after` when it said how long to wait) and
        `notification.errors.DeliveryUnavailable` when it cannot take any message now."""
        ...

    async def close(self) -> None: ...
