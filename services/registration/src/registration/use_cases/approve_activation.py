"""An administrator's approval of an account waiting for it (tenants with `activation:
admin`): the account becomes active and says so, with what the welcome mail needs."""

import logging

from onboarding_contracts import AccountActivated, ActivationApproved, Origin
from onboarding_contracts.events import AccountActivatedData
from onboarding_kit.clock import Clock

from registration.store import RegistrationTransaction
from registration.use_cases.register import SOURCE

log = logging.getLogger(__name__)


async def approve_activation(
    tx: RegistrationTransaction, approved: ActivationApproved, *, clock: Clock
) -> None:
    """Activate the account and announce it, in the consumer's transaction. An account
    that is active already (approved twice, or never waiting) or that is not this
    tenant's is left as it is, and nothing is announced: an approval is applied once."""
    account = await tx.accounts.approve(
        approved.data.account_id, tenant_id=approved.tenant_id, at=clock()
    )
    if account is None:
        log.info(
            "approval of an account not waiting for one; ignored",
            extra={"account_id": approved.data.account_id},
        )
        return
    await tx.publish(
        [
            AccountActivated.new(
                Origin.reacting_to(approved, SOURCE),
                AccountActivatedData(
                    account_id=account.account_id,
                    enrolment_id=account.enrolment_id,
                    invitation_id=account.invitation_id,
                    email=account.email,
                    username=account.username,
                    first_name=account.first_name,
                ),
            )
        ]
    )
