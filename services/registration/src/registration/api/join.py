"""`/join`: the page a person's invitation link opens, its form, and the request for a new
link from the page of an expired or replaced one (HTML, not in the OpenAPI document).

The pages work without JavaScript; `/static/join.js` only adds the live username check.
Each form carries a CSRF token (`registration.csrf`), checked before anything else."""

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, status
from fastapi.responses import HTMLResponse
from onboarding_contracts.internal.invitations import LinkDetails
from onboarding_kit.errors import InvalidInput

from registration.api.deps import (
    InspectLink,
    JoinFormPosted,
    NewLinkFormPosted,
    NewLinkRequest,
    PageView,
    Register,
    RequestNewLink,
    Submission,
    TryLink,
)
from registration.api.pages import PageRoute, csrf_token, page
from registration.domain.passwords import PASSWORD_RULES
from registration.domain.phones import as_typed
from registration.domain.sign_up import SignUpForm
from registration.domain.text import first_and_last
from registration.errors import NewLinkRefused, UsernameTaken

router = APIRouter(route_class=PageRoute, include_in_schema=False)

FormField = Annotated[str, Form()]


def _form(
    request: Request,
    token: str,
    link: LinkDetails,
    status_code: int = status.HTTP_200_OK,
    *,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
) -> HTMLResponse:
    return page(
        request,
        "join.html.j2",
        status_code,
        token=token,
        csrf_token=csrf_token(request, "join", token),
        email=link.email,
        name=link.name,
        course=link.course_title or link.course,
        username_is_email=link.link_policy.username_source == "email",
        set_password=link.purpose == "set_password",
        password_rules=PASSWORD_RULES,
        values=values,
        errors=errors or {},
    )


@router.get("/join", response_class=HTMLResponse, dependencies=[PageView])
async def join_page(
    request: Request, inspect: InspectLink, token: Annotated[str, Query()] = ""
) -> HTMLResponse:
    link = await inspect(token)
    # The phone number on file, if any, for the person to confirm, correct or clear.
    values = {"phone": as_typed(link.phone)}
    if link.purpose == "set_password":
        # An admin made the account from the enrolment: its name, for the person to check.
        values["first_name"], values["last_name"] = first_and_last(link.name)
    return _form(request, token, link, values=values)


@router.post("/join", response_class=HTMLResponse, dependencies=[Submission, JoinFormPosted])
async def join_submit(
    request: Request,
    inspect: InspectLink,
    register: Register,
    try_link: TryLink,
    token: FormField = "",
    first_name: FormField = "",
    middle_name: FormField = "",
    last_name: FormField = "",
    phone: FormField = "",
    username: FormField = "",
    password: FormField = "",
) -> HTMLResponse:
    try_link(token)
    form = SignUpForm(
        token=token,
        first_name=first_name,
        middle_name=middle_name,
        last_name=last_name,
        phone=phone,
        username=username,
        password=password,
    )
    try:
        registered = await register(form)
    except (InvalidInput, UsernameTaken) as invalid:
        # The form again, each problem next to its field; the password is never echoed.
        kept = {
            "first_name": first_name,
            "middle_name": middle_name,
            "last_name": last_name,
            "phone": phone,
            "username": username,
        }
        return _form(
            request,
            token,
            await inspect(token),
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            values=kept,
            errors={e.field: e.reason for e in invalid.errors},
        )
    return page(
        request,
        "welcome.html.j2",
        status.HTTP_201_CREATED,
        username=registered.username,
        email=registered.email,
        course=registered.course_title or registered.course,
        awaiting_activation=registered.awaiting_activation,
    )


@router.post(
    "/join/new-link",
    response_class=HTMLResponse,
    dependencies=[NewLinkRequest, NewLinkFormPosted],
)
async def new_link(
    request: Request, request_new_link: RequestNewLink, token: FormField = ""
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
