"""Welcoming people whose account may sign in: an email with their username and the
sign-in link, once per account.

With the tenant's `activation: auto` the account is activated as the person registers; with
`admin`, only once an administrator approved it: either way AccountActivated is the moment
the account works, so that is when the mail goes.

No NotificationSent or NotificationFailed is published for it: those events speak of an
invitation link (`invitation_id` is required, and the enrolment service reads them as the
invitation's delivery), which a welcome mail is not. What became of each one is in the
`welcome_emails` table."""

from collections.abc import Sequence

from onboarding_contracts import AccountActivated
from onboarding_kit.clock import Clock

from notification.channels.email import EmailChannel
from notification.domain.ids import welcome_id
from notification.domain.welcome_email import WelcomeMessage, render_welcome_email
from notification.store import NotificationTransaction
from notification.store.welcome_emails import NewWelcomeEmail
from notification.use_cases.sending import send_each


async def send_welcome_emails(
    tx: NotificationTransaction,
    events: Sequence[AccountActivated],
    *,
    email: EmailChannel,
    sign_in_url: str,
    sender: str,
    clock: Clock,
) -> None:
    """As `deliver_invitations`: claimed, sent inside the consumer's transaction (at least
    once, the stable Message-ID marking a copy), a refusal for good failing that message
    alone, a mail server that cannot take messages now failing the batch for a retry."""
    by_id = {welcome_id(e.data.account_id): e for e in events}
    claimed = await tx.welcome_emails.claim(
        [
            NewWelcomeEmail(
                id=wid,
                tenant_id=e.tenant_id,
                account_id=e.data.account_id,
                enrolment_id=e.data.enrolment_id,
                recipient=str(e.data.email),
            )
            for wid, e in by_id.items()
        ],
        at=clock(),
    )
    messages = {
        wid: render_welcome_email(
            WelcomeMessage(
                notification_id=wid,
                recipient=str(e.data.email),
                username=e.data.username,
                first_name=e.data.first_name,
                sign_in_url=sign_in_url,
            ),
            sender=sender,
        )
        for wid, e in by_id.items()
        if wid in claimed
    }
    outcomes = await send_each(email, messages)
    await tx.welcome_emails.mark_sent(outcomes.sent, clock())
    for wid, reason in outcomes.rejected.items():
        await tx.welcome_emails.mark_failed(wid, str(reason))
