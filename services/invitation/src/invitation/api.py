"""Internal HTTP routes: the registration service asks here whether a link may be used, and
redeems it. Only a caller holding the internal token may call them."""

import hmac
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from invitation import handlers
from invitation.domain import LinkRefusal
from invitation.store import Invitation, InvitationStore


def _require_internal_token(
    request: Request, x_internal_token: Annotated[str | None, Header()] = None
) -> None:
    expected: str = request.app.state.runtime.settings.internal_api_token
    if x_internal_token is None or not hmac.compare_digest(x_internal_token, expected):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "internal endpoint")


router = APIRouter(
    prefix="/internal/v1/invitations",
    tags=["internal"],
    dependencies=[Depends(_require_internal_token)],
)


class TokenIn(BaseModel):
    token: str = Field(min_length=1, max_length=200)


class RedeemIn(TokenIn):
    account_id: str | None = Field(
        default=None,
        max_length=100,
        description="The account being created; a repeat for it gets the same answer",
    )


class InvitationOut(BaseModel):
    invitation_id: str
    tenant_id: str
    enrolment_id: str
    email: str
    name: str
    course: str
    expires_at: datetime
    correlation_id: str


class RefusalOut(BaseModel):
    reason: LinkRefusal
    message: str


_REFUSAL_STATUS = {LinkRefusal.UNKNOWN: status.HTTP_404_NOT_FOUND}


def _out(invitation: Invitation) -> InvitationOut:
    return InvitationOut(
        invitation_id=invitation.id,
        tenant_id=invitation.tenant_id,
        enrolment_id=invitation.enrolment_id,
        email=invitation.email,
        name=invitation.name,
        course=invitation.course,
        expires_at=invitation.expires_at,
        correlation_id=invitation.correlation_id,
    )


async def _answer(
    request: Request, use_case: Callable[[InvitationStore], Awaitable[Invitation]]
) -> InvitationOut | JSONResponse:
    pool = request.app.state.runtime.pool
    try:
        async with pool.acquire() as conn, conn.transaction():
            return _out(await use_case(InvitationStore(conn)))
    except handlers.LinkRefused as refused:
        return JSONResponse(
            RefusalOut(reason=refused.reason, message=refused.reason.message).model_dump(),
            status_code=_REFUSAL_STATUS.get(refused.reason, status.HTTP_410_GONE),
        )


_RESPONSES: dict[int | str, dict[str, object]] = {
    404: {"model": RefusalOut, "description": "No invitation has this link"},
    410: {"model": RefusalOut, "description": "The link expired, was used or was withdrawn"},
}


@router.post("/inspect", response_model=InvitationOut, responses=_RESPONSES)
async def inspect(body: TokenIn, request: Request) -> InvitationOut | JSONResponse:
    """Whether a link may be used now, and whose it is. Changes nothing."""
    return await _answer(
        request, lambda s: handlers.inspect_invitation(s, body.token, handlers.utcnow)
    )


@router.post("/redeem", response_model=InvitationOut, responses=_RESPONSES)
async def redeem(body: RedeemIn, request: Request) -> InvitationOut | JSONResponse:
    """Use a link: succeeds once, for one caller, while the invitation is pending."""
    return await _answer(
        request,
        lambda s: handlers.redeem_invitation(s, body.token, handlers.utcnow, body.account_id),
    )
