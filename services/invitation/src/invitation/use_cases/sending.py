"""What every link sent needs, whatever sent it (the first invitation, a resend, a
reminder): a fresh token, and the InvitationIssued that carries the link, sealed."""

from dataclasses import dataclass

from onboarding_contracts import InvitationIssued, Origin
from onboarding_contracts.events import InvitationIssuedData, SendReason, sealed_link_context
from onboarding_kit.sealing import Sealer

from invitation.domain.links import TokenFactory, accept_link
from invitation.store.invitations import Invitation


@dataclass(frozen=True)
class Links:
    """Where accept links point, where their tokens come from, and the seal that only the
    notification service (the other key holder) opens."""

    registration_url: str
    sealer: Sealer
    new_token: TokenFactory

    def issued(
        self, origin: Origin, invitation: Invitation, token: str, reason: SendReason
    ) -> InvitationIssued:
        """The announcement of the link `token` opens, as `invitation` now stands (its send
        count is this link's)."""
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
