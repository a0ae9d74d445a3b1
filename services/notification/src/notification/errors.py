"""The notification service's exceptions: how a channel says a message did not go out.

No route answers with these (the service has none): they tell the consumer what to do with
the event, so they are not the kit's HTTP problems."""


class MessageRejected(Exception):
    """The channel refused this message for good (an SMTP 5xx, a refused recipient): this
    message fails alone, and the rest of its batch goes on."""


class DeliveryUnavailable(ConnectionError):
    """The channel cannot take messages now (unreachable, or an SMTP 4xx): try again later.

    A ConnectionError, so the consumer treats it as an outage: the batch is retried and
    nothing is dead-lettered."""
