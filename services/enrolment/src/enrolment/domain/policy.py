"""A tenant's invite policy: whether enrolling someone invites them at once."""

from enum import StrEnum


class InvitePolicy(StrEnum):
    AUTO = "auto"  # enrolling invites at once
    MANUAL = "manual"  # enrol first, invite later by hand


def resolve_policy(tenant_policy: InvitePolicy, override: InvitePolicy | None) -> InvitePolicy:
    """A request (an enrolment, an import) may override the tenant's policy for itself."""
    return override or tenant_policy
