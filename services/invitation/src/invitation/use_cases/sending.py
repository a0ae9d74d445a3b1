"""What every link sent needs, whatever sent it (the first invitation, a resend, a
reminder): a fresh token, and the InvitationIssued that carries the link, sealed."""

from dataclasses import dataclass
from datetime import datetime

from onboarding_contracts import InvitationIssued, Origin
from onboarding_contracts.events import (
    InvitationIssuedData,
    LinkPolicy,
    SendReason,
    sealed_link_context,
)
from onboarding_kit.sealing import Sealer

from invitation.domain.links import TokenFactory, accept_link, hash_token, link_expiry
from invitation.store.invitations import Invitation
from invitation.store.lifecycle import NewLink


@dataclass(frozen=True)
class Links:
    """Where accept links point, where their tokens come from, and the seal that only the
    notification service (the other key holder) opens."""

    registration_url: str
    sealer: Sealer
    new_token: TokenFactory

    def new_link(
        self, tenant_id: str, enrolment_id: str, policy: LinkPolicy, at: datetime
    ) -> tuple[str, NewLink]:
        """A fresh token, and the link that replaces an invitation's current one with it
        (sent at `at`, lasting as `policy` says): a resend's, a reminder's or a person's
        own request's."""
        token = self.new_token()
        return token, NewLink(
            tenant_id=tenant_id,
            enrolment_id=enrolment_id,
            token_hash=hash_token(token),
            sent_at=at,
            expires_at=link_expiry(at, policy),
            policy=policy,
        )

    def issued(
        self,
        origin: Origin,
        invitation: Invitation,
        token: str,
        reason: SendReason,
        requested_at: datetime,
    ) -> InvitationIssued:
        """The announcement of the link `token` opens, as `invitation` now stands (its send
        count is this link's), asked for at `requested_at`."""
        return InvitationIssued.new(
            origin,
            InvitationIssuedData(
                invitation_id=invitation.id,
                enrolment_id=invitation.enrolment_id,
                email=invitation.email,
                name=invitation.name,
                course=invitation.course,
                channel=invitation.channel,
                phone=invitation.phone,
                expires_at=invitation.expires_at,
                send_count=invitation.send_count,
                reason=reason,
                resend_count=invitation.resend_count,
                reminder_count=invitation.reminder_count,
                purpose=invitation.purpose,
                username=invitation.username,
                requested_at=requested_at,
                # Stored with the invitation: a resend or a reminder keeps them.
                locale=invitation.locale,
                course_title=invitation.course_title,
                sealed_link=self.sealer.seal(
                    accept_link(self.registration_url, token),
                    context=sealed_link_context(
                        tenant_id=invitation.tenant_id,
                        invitation_id=invitation.id,
                        send_count=invitation.send_count,
                        email=invitation.email,
                        phone=invitation.phone,
                    ),
                ),
            ),
        )
