"""The notification service's exceptions: how a channel says a message did not go out
(they tell the sender what to do with one message: give up on it, or try it again later),
and the problems its one route, the SMS status callback, answers with."""

from onboarding_kit.errors import Conflict, NotFound, Problem


class MessageRejected(Exception):
    """The channel refused this message for good (an SMTP 5xx, a refused recipient, a
    provider's 4xx about the message): it fails alone, with this reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class DeliveryDeferred(ConnectionError):
    """This message cannot go now (an SMTP 4xx, a provider's 429 or 5xx, a timeout): try it
    again later, after `retry_after` seconds when the channel said so. `slow_down` is set
    when the other end asked the sender to slow down (SMTP 421, HTTP 429).

    A ConnectionError: should one ever reach a consumer, it is an outage to wait out, and
    nothing is dead-lettered for it."""

    def __init__(
        self, reason: str, *, retry_after: float | None = None, slow_down: bool = False
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.slow_down = slow_down


class DeliveryUnavailable(DeliveryDeferred):
    """The channel cannot take any message now (the server is unreachable): try later."""


class StatusTooEarly(Conflict):
    """A status callback for a text whose sending is not recorded yet: try it again."""

    def __init__(self, provider_id: str) -> None:
        super().__init__(f"no message {provider_id} is recorded yet; try again shortly")


class StatusForUnknownMessage(NotFound):
    def __init__(self, provider_id: str) -> None:
        super().__init__(f"no message {provider_id} was sent by this service")


class BadSignature(Problem):
    status = 403
    title = "Forbidden"

    def __init__(self) -> None:
        super().__init__("the request's X-Twilio-Signature does not match")
