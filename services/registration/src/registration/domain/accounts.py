"""An account's life: reserved while its link is redeemed, then active, or first waiting
for an administrator when the tenant approves accounts by hand (seed 003)."""

from typing import Literal

from onboarding_contracts.events import LinkPolicy

AccountStatus = Literal["reserved", "pending_activation", "active"]


def status_once_registered(policy: LinkPolicy) -> AccountStatus:
    """Where an account stands once its link is redeemed: active at once, or waiting for
    an administrator's approval (`ActivationApproved`) when the tenant requires one."""
    return "pending_activation" if policy.activation == "admin" else "active"
