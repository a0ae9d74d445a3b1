"""One try at one message: what it says (its link unsealed only now, in memory), written
for its channel, handed to the mail server or the SMS provider, and what came of it."""

import logging
from dataclasses import dataclass
from datetime import datetime
from email.utils import formataddr, parseaddr

from onboarding_contracts.events import sealed_link_context
from onboarding_kit.sealing import Sealer

from notification.channels.email import EmailChannel
from notification.channels.sms import OutgoingSms, SmsChannel
from notification.domain.delivery import Deferred, Outcome, Rejected, Sent
from notification.domain.messages import MessageContent, render_sms, write_email
from notification.errors import DeliveryDeferred, MessageRejected
from notification.store.messages import Message
from notification.store.tenants import TenantMessaging

log = logging.getLogger(__name__)

NO_SMS = "SMS is not set up on this platform (SMS_PROVIDER_URL)"


@dataclass(frozen=True)
class Channels:
    """Where messages go, and what every one of them needs."""

    email: EmailChannel
    sms: SmsChannel | None
    sealer: Sealer  # opens the links the invitation service sealed
    mail_from: str  # the From of every email; a tenant may name it
    sign_in_url: str  # in the welcome
    sms_status_callback_url: str | None  # where the SMS provider reports delivery


def _link(message: Message, sealer: Sealer) -> str:
    content = message.content
    assert message.send_count is not None, "a link's message knows which link"
    return sealer.unseal(
        content["sealed_link"],
        context=sealed_link_context(
            tenant_id=message.tenant_id,
            invitation_id=message.invitation_id,
            send_count=message.send_count,
            email=content["email"],
            phone=content.get("phone"),
        ),
    )


def content_of(message: Message, tenant: TenantMessaging, channels: Channels) -> MessageContent:
    """What `message` says, in its person's language, as its tenant words it."""
    saved = message.content
    common = {
        "kind": message.kind,
        "locale": message.locale,
        "name": saved.get("name", ""),
        "email": saved["email"],
        "username": saved.get("username"),
        "sender_name": tenant.sender_name,
        "intro": tenant.message_intro,
    }
    if message.kind == "welcome":
        return MessageContent(**common, sign_in_url=channels.sign_in_url)
    return MessageContent(
        **common,
        course=saved.get("course"),
        link=_link(message, channels.sealer),
        expires_at=datetime.fromisoformat(saved["expires_at"]),
        set_password=bool(saved.get("set_password")),
    )


def _sender(mail_from: str, tenant: TenantMessaging) -> str:
    name, address = parseaddr(mail_from)
    return formataddr((tenant.sender_name or name, address))


async def deliver(message: Message, tenant: TenantMessaging, channels: Channels) -> Outcome:
    """Try `message` once. Never raises: every failure is an outcome (a bug in rendering
    fails the message with its reason; anything unforeseen while sending is a deferral,
    so the message is tried again rather than lost)."""
    try:
        content = content_of(message, tenant, channels)
    except Exception as error:  # a link that does not open (a key rotated away), ...
        log.exception("message cannot be written", extra={"notification_id": message.id})
        return Deferred(f"the message cannot be written now: {type(error).__name__}")
    try:
        if message.channel == "sms":
            return await _send_sms(message, content, channels)
        return await _send_email(message, content, tenant, channels)
    except MessageRejected as rejected:
        return Rejected(rejected.reason)
    except DeliveryDeferred as deferred:
        return Deferred(deferred.reason, deferred.retry_after, deferred.slow_down)
    except ValueError as too_long:  # a text over its segments
        return Rejected(str(too_long))
    except Exception as error:
        log.exception("sending failed", extra={"notification_id": message.id})
        return Deferred(f"{type(error).__name__}: {error}")


async def _send_email(
    message: Message, content: MessageContent, tenant: TenantMessaging, channels: Channels
) -> Outcome:
    email = write_email(
        message_id=message.id, sender=_sender(channels.mail_from, tenant), content=content
    )
    await channels.email.send(email)
    return Sent()


async def _send_sms(message: Message, content: MessageContent, channels: Channels) -> Outcome:
    if channels.sms is None:
        return Rejected(NO_SMS)
    accepted = await channels.sms.send(
        OutgoingSms(
            message_id=message.id,
            to=message.recipient,
            body=render_sms(content),
            status_callback=channels.sms_status_callback_url,
        )
    )
    return Sent(provider_id=accepted.provider_id)
