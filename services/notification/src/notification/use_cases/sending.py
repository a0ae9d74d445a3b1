"""Sending a batch of rendered messages at once, and sorting out what became of each."""

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field

from notification.channels.email import EmailChannel
from notification.domain.mime import OutgoingEmail
from notification.errors import MessageRejected


@dataclass
class Outcomes:
    sent: list[str] = field(default_factory=list)  # message ids the mail system took
    rejected: dict[str, MessageRejected] = field(default_factory=dict)  # refused for good


async def send_each(email: EmailChannel, messages: Mapping[str, OutgoingEmail]) -> Outcomes:
    """Send every message (by id) concurrently. A message refused for good is reported
    alone; any other failure (the mail server cannot take messages now) is raised, so the
    consumer retries the whole batch later."""
    ids = list(messages)
    results = await asyncio.gather(*(email.send(messages[i]) for i in ids), return_exceptions=True)
    outcomes = Outcomes()
    for message_id, result in zip(ids, results, strict=True):
        if result is None:
            outcomes.sent.append(message_id)
        elif isinstance(result, MessageRejected):
            outcomes.rejected[message_id] = result
        else:
            raise result
    return outcomes
