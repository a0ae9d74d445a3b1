"""`/v1/registrations`: registering from a program, answered in JSON (problem+json).

Programs have no page, so no CSRF token: there is no cookie or session for a forged
request to ride on, and the invitation token in the body is the only credential."""

from typing import Any

from fastapi import APIRouter, status
from onboarding_kit.problems import problems

from registration.api.deps import Register, Submission, TryLink
from registration.api.limits import BoundedBodyRoute
from registration.api.schemas import RegistrationIn, RegistrationOut
from registration.domain.sign_up import SignUpForm
from registration.limits import MAX_BODY_BYTES

router = APIRouter(tags=["registration"], route_class=BoundedBodyRoute)

RESPONSES: dict[int | str, dict[str, Any]] = {
    **problems(404, 409, 410, 422, 503),
    413: {"description": f"The body is over {MAX_BODY_BYTES} bytes"},
    429: {
        "description": "Too many registrations from this client, or with this link",
        "headers": {
            "Retry-After": {
                "description": "Seconds to wait before trying again",
                "required": True,
                "schema": {"type": "integer", "minimum": 1},
            }
        },
    },
}


@router.post(
    "/v1/registrations",
    status_code=status.HTTP_201_CREATED,
    response_model=RegistrationOut,
    responses=RESPONSES,
    dependencies=[Submission],
)
async def create_registration(
    body: RegistrationIn, register: Register, try_link: TryLink
) -> RegistrationOut:
    """Register with an invitation token: 404 unknown link, 410 expired/used/revoked
    (`reason` and `message` say which and what to do), 422 invalid fields (each named),
    409 username taken, 503 when the link cannot be judged now (it stays unused); 413 for
    a body over the limit, 429 past a rate (per client, and per link), with `Retry-After`.
    The same registration sent again gets the same account. With a tenant that activates
    accounts by hand, the account waits for it (`awaiting_activation`)."""
    try_link(body.token)
    registered = await register(SignUpForm(**body.model_dump(exclude_none=True)))
    return RegistrationOut.model_validate(registered, from_attributes=True)
