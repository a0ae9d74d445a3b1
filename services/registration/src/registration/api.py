"""HTTP routes of the registration service: the join page for people, JSON for programs."""

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, select_autoescape
from onboarding_kit.db import unit_of_work
from pydantic import BaseModel

from registration import handlers
from registration.domain import InvalidRegistration, validate_sign_up
from registration.invitations import InvitationClient, LinkRefused
from registration.store import RegistrationStore

router = APIRouter(tags=["registration"])
templates = Jinja2Templates(
    env=Environment(
        loader=PackageLoader("registration", "templates"),
        autoescape=select_autoescape(["html", "html.j2"]),
    )
)


def _uow(request: Request) -> handlers.UnitOfWork:
    return unit_of_work(request.app.state.runtime.pool, RegistrationStore)


def _invitations(request: Request) -> InvitationClient:
    client: InvitationClient = request.app.state.invitations
    return client


def _page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, template, context, status_code=status_code)


def _refused_page(request: Request, refused: LinkRefused) -> HTMLResponse:
    code = status.HTTP_404_NOT_FOUND if refused.reason == "unknown" else status.HTTP_410_GONE
    return _page(request, "refused.html.j2", code, message=refused.message)


@router.get("/join", response_class=HTMLResponse, include_in_schema=False)
async def join_page(request: Request, token: Annotated[str, Query()] = "") -> HTMLResponse:
    if not token.strip():
        return _refused_page(
            request,
            LinkRefused(
                "unknown",
                "This link is incomplete: open the link from your invitation email again.",
            ),
        )
    try:
        link = await _invitations(request).inspect(token)
    except LinkRefused as refused:
        return _refused_page(request, refused)
    return _page(
        request,
        "join.html.j2",
        token=token,
        email=link.email,
        name=link.name,
        course=link.course,
        values={},
        errors={},
    )


@router.post("/join", response_class=HTMLResponse, include_in_schema=False)
async def join_submit(
    request: Request,
    token: Annotated[str, Form()] = "",
    first_name: Annotated[str, Form()] = "",
    last_name: Annotated[str, Form()] = "",
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
) -> HTMLResponse:
    values = {"first_name": first_name, "last_name": last_name, "username": username}
    try:
        sign_up = validate_sign_up(
            token=token,
            first_name=first_name,
            last_name=last_name,
            username=username,
            password=password,
        )
        registered = await handlers.register(_uow(request), _invitations(request), sign_up)
    except LinkRefused as refused:
        return _refused_page(request, refused)
    except InvalidRegistration as invalid:
        try:
            link = await _invitations(request).inspect(token)
        except LinkRefused as refused:
            return _refused_page(request, refused)
        return _page(
            request,
            "join.html.j2",
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            token=token,
            email=link.email,
            name=link.name,
            course=link.course,
            values=values,
            errors=invalid.errors,
        )
    return _page(
        request,
        "welcome.html.j2",
        status.HTTP_201_CREATED,
        username=registered.username,
        course=registered.course,
    )


class RegistrationIn(BaseModel):
    token: str
    first_name: str
    last_name: str
    username: str
    password: str


class RegistrationOut(BaseModel):
    account_id: str
    username: str
    email: str
    course: str


@router.post(
    "/v1/registrations", status_code=status.HTTP_201_CREATED, response_model=RegistrationOut
)
async def create_registration(body: RegistrationIn, request: Request) -> RegistrationOut:
    """Register with an invitation token: 404 unknown link, 410 expired/used/revoked,
    422 invalid fields (each named), 409 username taken."""
    try:
        sign_up = validate_sign_up(**body.model_dump())
        registered = await handlers.register(_uow(request), _invitations(request), sign_up)
    except LinkRefused as refused:
        code = status.HTTP_404_NOT_FOUND if refused.reason == "unknown" else status.HTTP_410_GONE
        raise HTTPException(
            code, {"reason": refused.reason, "message": refused.message}
        ) from refused
    except InvalidRegistration as invalid:
        code = (
            status.HTTP_409_CONFLICT
            if set(invalid.errors) == {"username"} and "taken" in invalid.errors["username"]
            else status.HTTP_422_UNPROCESSABLE_CONTENT
        )
        raise HTTPException(code, {"errors": invalid.errors}) from invalid
    return RegistrationOut(**registered.__dict__)


async def invitation_service_unavailable(request: Request, error: Exception) -> Response:
    """The link cannot be judged right now: say so, and keep the link unused."""
    message = "Registration is briefly unavailable. Please try again in a minute."
    if request.url.path.startswith("/v1/"):
        return JSONResponse({"detail": message}, status_code=status.HTTP_503_SERVICE_UNAVAILABLE)
    return _page(
        request,
        "refused.html.j2",
        status.HTTP_503_SERVICE_UNAVAILABLE,
        heading="Please try again shortly",
        message=message,
    )
