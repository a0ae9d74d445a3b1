"""The events the registration service applies: decode, call a use case."""

from onboarding_contracts import ActivationApproved
from onboarding_kit.consumer import Subscriptions

from registration.bootstrap import RegistrationDependencies
from registration.store import RegistrationTransaction
from registration.use_cases.approve_activation import approve_activation


def subscriptions(deps: RegistrationDependencies) -> Subscriptions[RegistrationTransaction]:
    async def activation_approved(tx: RegistrationTransaction, event: ActivationApproved) -> None:
        await approve_activation(tx, event, clock=deps.clock)

    return Subscriptions(
        RegistrationTransaction, {ActivationApproved.event_type: activation_approved}
    )
