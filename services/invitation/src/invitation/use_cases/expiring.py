"""The expiry sweeper: pending invitations past their link's lifetime become expired, and
say so (InvitationExpired), so the enrolment and its funnel show it. A link is refused at
use time whatever the sweeper has done yet; this only makes expiry visible."""

from onboarding_contracts import InvitationExpired, Origin
from onboarding_contracts.events import InvitationExpiredData
from onboarding_kit.clock import Clock

from invitation.store import InvitationTransaction
from invitation.use_cases import SOURCE

EXPIRE_BATCH = 1000


async def expire_invitations(
    tx: InvitationTransaction, *, clock: Clock, batch: int = EXPIRE_BATCH
) -> int:
    """Expire every invitation due by now, `batch` rows a statement; how many were."""
    now = clock()
    total = 0
    while True:
        expired = await tx.lifecycle.expire_due(now, batch=batch)
        await tx.publish(
            [
                InvitationExpired.new(
                    Origin(SOURCE, e.tenant_id, e.correlation_id),
                    InvitationExpiredData(
                        invitation_id=e.id,
                        enrolment_id=e.enrolment_id,
                        send_count=e.send_count,
                        expired_at=e.expired_at,
                    ),
                )
                for e in expired
            ]
        )
        total += len(expired)
        if len(expired) < batch:
            return total
