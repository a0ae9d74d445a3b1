"""`/join`: the page a person's invitation link opens, its form, and the request for a new
link from the page of an expired or replaced one (HTML, not in the OpenAPI document)."""

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, status
from fastapi.responses import HTMLResponse
from onboarding_contracts.internal.invitations import LinkDetails
from onboarding_kit.errors import InvalidInput

from registration.api.deps import (
    InspectLink,
    NewLinkRequest,
    PageView,
    Register,
    RequestNewLink,
    Submission,
    TryLink,
)
from registration.api.pages import PageRoute, page
from registration.domain.sign_up import validate_sign_up
from registration.errors import NewLinkRefused, UsernameTaken

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _form(
    request: Request,
    token: str,
    link: LinkDetails,
    status_code: int = status.HTTP_200_OK,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> HTMLResponse:
    return page(
        request,
        "join.html.j2",
        status_code,
        token=token,
        email=link.email,
        name=link.name,
        course=link.course,
        values=values or {},
        errors=errors or {},
    )


@router.get("/join", response_class=HTMLResponse, dependencies=[PageView])
async def join_page(
    request: Request, inspect: InspectLink, token: Annotated[str, Query()] = ""
) -> HTMLResponse:
    return _form(request, token, await inspect(token))


@router.post("/join", response_class=HTMLResponse, dependencies=[Submission])
async def join_submit(
    request: Request,
    inspect: InspectLink,
    register: Register,
    try_link: TryLink,
    token: Annotated[str, Form()] = "",
    first_name: Annotated[str, Form()] = "",
    last_name: Annotated[str, Form()] = "",
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
) -> HTMLResponse:
    try_link(token)
    try:
        sign_up = validate_sign_up(
            token=token,
            first_name=first_name,
            last_name=last_name,
            username=username,
            password=password,
        )
        registered = await register(sign_up)
    except (InvalidInput, UsernameTaken) as invalid:
        # The form again, each problem next to its field; the password is never echoed.
        return _form(
            request,
            token,
            await inspect(token),
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            values={"first_name": first_name, "last_name": last_name, "username": username},
            errors={e.field: e.reason for e in invalid.errors},
        )
    return page(
        request,
        "welcome.html.j2",
        status.HTTP_201_CREATED,
        username=registered.username,
        course=registered.course,
    )


@router.post("/join/new-link", response_class=HTMLResponse, dependencies=[NewLinkRequest])
async def new_link(
    request: Request, request_new_link: RequestNewLink, token: Annotated[str, Form()] = ""
) -> HTMLResponse:
    """The "Send me a new link" button of a refused link's page. A link gone for good is
    refused as on /join (the page, by PageRoute)."""
    try:
        sent = await request_new_link(token)
    except NewLinkRefused as refused:
        return page(
            request,
            "refused.html.j2",
            refused.status,
            heading="We could not send a new link",
            message=refused.message,
        )
    return page(request, "new_link.html.j2", status.HTTP_202_ACCEPTED, message=sent.message)
