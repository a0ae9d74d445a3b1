"""Routes of a tenant's settings."""

from fastapi import APIRouter
from onboarding_kit.problems import problems

from enrolment.api.deps import Deps, TenantId
from enrolment.api.schemas import SettingsBody
from enrolment.use_cases import tenants

router = APIRouter()


@router.get("/settings", responses=problems(401))
async def get_settings(deps: Deps, tenant_id: TenantId) -> SettingsBody:
    return SettingsBody(invite_policy=await tenants.invite_policy(deps.uow, tenant_id))


@router.put("/settings", responses=problems(401, 422))
async def put_settings(body: SettingsBody, deps: Deps, tenant_id: TenantId) -> SettingsBody:
    await tenants.set_invite_policy(deps.uow, tenant_id, body.invite_policy)
    return body
