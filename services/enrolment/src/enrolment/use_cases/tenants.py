"""Tenants: knowing a caller by their API key, creating tenants, their invite policy."""

from onboarding_kit.clock import Clock
from onboarding_kit.ids import IdFactory
from onboarding_kit.uow import UnitOfWork

from enrolment.domain.api_keys import hash_api_key
from enrolment.domain.policy import InvitePolicy
from enrolment.errors import Unauthenticated
from enrolment.store import EnrolmentTransaction


async def authenticate_tenant(uow: UnitOfWork[EnrolmentTransaction], api_key: str) -> str:
    """The id of the tenant holding this API key."""
    async with uow() as tx:
        tenant_id = await tx.tenants.by_key_hash(hash_api_key(api_key))
    if tenant_id is None:
        raise Unauthenticated("unknown API key")
    return tenant_id


async def ensure_tenant(
    uow: UnitOfWork[EnrolmentTransaction], clock: Clock, new_id: IdFactory, name: str, api_key: str
) -> str:
    """The tenant of this name, created if new, holding this key from now on; its id."""
    async with uow() as tx:
        return await tx.tenants.upsert(new_id(), name, hash_api_key(api_key), clock())


async def invite_policy(uow: UnitOfWork[EnrolmentTransaction], tenant_id: str) -> InvitePolicy:
    async with uow() as tx:
        return await tx.tenants.invite_policy(tenant_id)


async def set_invite_policy(
    uow: UnitOfWork[EnrolmentTransaction], tenant_id: str, policy: InvitePolicy
) -> None:
    async with uow() as tx:
        await tx.tenants.set_invite_policy(tenant_id, policy)
