"""Tenants: knowing a caller by their API key, creating tenants, their settings."""

from collections.abc import Mapping

from onboarding_contracts import MessagingSettingsChanged
from onboarding_contracts.events import MessagingSettingsChangedData
from onboarding_kit.clock import Clock
from onboarding_kit.ids import IdFactory
from onboarding_kit.uow import UnitOfWork

from enrolment.domain.api_keys import hash_api_key
from enrolment.domain.settings import TenantSettings
from enrolment.errors import Unauthenticated
from enrolment.store import EnrolmentTransaction
from enrolment.use_cases.caller import Caller


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


async def tenant_settings(uow: UnitOfWork[EnrolmentTransaction], tenant_id: str) -> TenantSettings:
    async with uow() as tx:
        return await tx.tenants.settings(tenant_id)


async def change_settings(
    uow: UnitOfWork[EnrolmentTransaction], caller: Caller, changes: Mapping[str, object]
) -> TenantSettings:
    """Apply the settings given; those left out keep their values. Every later link,
    resend and reminder follows the new ones; links already sent keep theirs. A change to
    how messages are sent is announced (MessagingSettingsChanged, with all of them) in the
    same transaction: the notification service follows it from its next message on."""
    async with uow() as tx:
        current = await tx.tenants.settings(caller.tenant_id, for_update=True)
        changed = current.changed(changes)
        await tx.tenants.save_settings(caller.tenant_id, changed)
        if changed.messaging != current.messaging:
            await tx.publish(
                [
                    MessagingSettingsChanged.new(
                        caller.origin,
                        MessagingSettingsChangedData(
                            tenant_id=caller.tenant_id, **changed.messaging
                        ),
                    )
                ]
            )
    return changed
