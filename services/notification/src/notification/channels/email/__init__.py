"""The email channel: the port use cases send through. The SMTP adapter is in `smtp`."""

from typing import Protocol

from notification.domain.mime import OutgoingEmail


class EmailChannel(Protocol):
    async def send(self, message: OutgoingEmail) -> None:
        """Hand one message to the mail system.

        Raises `notification.errors.MessageRejected` when this message is refused for good,
        `notification.errors.DeliveryDeferred` when it cannot go now, and
        `notification.errors.DeliveryUnavailable` when no message can go now."""
        ...
