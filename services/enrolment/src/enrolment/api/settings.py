"""Routes of a tenant's settings."""

from fastapi import APIRouter
from onboarding_kit.problems import problems

from enrolment.api.deps import CurrentCaller, Deps, TenantId
from enrolment.api.settings_schemas import SettingsIn, SettingsOut
from enrolment.use_cases import tenants

router = APIRouter()


@router.get("/settings", responses=problems(401))
async def get_settings(deps: Deps, tenant_id: TenantId) -> SettingsOut:
    return SettingsOut.model_validate(await tenants.tenant_settings(deps.uow, tenant_id))


@router.put("/settings", responses=problems(401, 422))
async def put_settings(body: SettingsIn, deps: Deps, caller: CurrentCaller) -> SettingsOut:
    """Change the settings given; those left out keep their values. The link rules apply
    to every link sent from now on (a resend or reminder included), not to those sent; the
    messaging settings (sender name, intro, rate) to every message sent from now on."""
    changed = await tenants.change_settings(deps.uow, caller, body.model_dump(exclude_unset=True))
    return SettingsOut.model_validate(changed)
