"""`/v1/usernames/{name}/availability`: the join page's live check of a username, as a
person types it (see `/static/join.js`). JSON; the form works without it."""

from typing import Annotated, Any

from fastapi import APIRouter, Query
from onboarding_kit.problems import problems

from registration.api.deps import CheckUsername, UsernameCheckRate
from registration.api.schemas import AvailabilityOut

router = APIRouter(tags=["registration"])

RESPONSES: dict[int | str, dict[str, Any]] = {
    **problems(404, 410, 503),
    429: {
        "description": "Too many checks from this client, or with this link",
        "headers": {
            "Retry-After": {
                "description": "Seconds to wait before trying again",
                "required": True,
                "schema": {"type": "integer", "minimum": 1},
            }
        },
    },
}


@router.get(
    "/v1/usernames/{name}/availability",
    response_model=AvailabilityOut,
    response_model_exclude_none=True,
    responses=RESPONSES,
    dependencies=[UsernameCheckRate],
)
async def username_availability(
    name: str,
    check: CheckUsername,
    token: Annotated[str, Query(description="The `token` of the invitation link")] = "",
) -> AvailabilityOut:
    """Whether `name` may be chosen by the holder of this invitation link: `available`,
    `taken` (reservations count) or `invalid` (`reason` says why; judged before the link
    is). 404/410 for a link that cannot be used (as for a registration), 503 when it
    cannot be judged now, 429 past a rate (per client, and per link) with `Retry-After`."""
    checked = await check(name, token)
    return AvailabilityOut.model_validate(checked, from_attributes=True)
