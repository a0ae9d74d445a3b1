"""HTML pages for people: the templates, and the route class that answers a refused link,
a refused form, an unreachable invitation service or a limit reached with a page instead
of problem+json."""

from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, select_autoescape
from onboarding_contracts.internal.invitations import LinkRefusal
from onboarding_kit.runtime import dependencies_of

from registration.api.limits import read_within
from registration.bootstrap import RegistrationDependencies
from registration.csrf import FormName
from registration.errors import (
    BodyTooLarge,
    CsrfRefused,
    InvitationServiceUnavailable,
    LinkRefused,
    TooManyRequests,
)
from registration.limits import MAX_BODY_BYTES

templates = Jinja2Templates(
    env=Environment(
        loader=PackageLoader("registration", "templates"),
        autoescape=select_autoescape(["html", "html.j2"]),
    )
)

# A link that only expired or was replaced: its page may offer the person a new one.
RENEWABLE = (LinkRefusal.EXPIRED, LinkRefusal.REPLACED)


def csrf_token(request: Request, form: FormName, link_token: str) -> str:
    """The CSRF token a page puts in its `form` for this link (see `registration.csrf`)."""
    return dependencies_of(request, RegistrationDependencies).csrf.issue(form, link_token)


def page(
    request: Request,
    template: str,
    status_code: int = 200,
    *,
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    return templates.TemplateResponse(
        request, template, context, status_code=status_code, headers=headers
    )


class PageRoute(APIRoute):
    """A route answering a person: its refusals are pages too. Its body is read within
    MAX_BODY_BYTES first (as `BoundedBodyRoute` does), here, so that the page of a refused
    link can offer a new link for the very link the request came with."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                request = await read_within(request, MAX_BODY_BYTES)
                return await handle(request)
            except LinkRefused as refused:
                offer = refused.new_link_allowed and refused.reason in RENEWABLE
                token = await _link_token(request) if offer else ""
                return page(
                    request,
                    "refused.html.j2",
                    refused.status,
                    message=refused.message,
                    new_link_token=token,
                    new_link_csrf_token=csrf_token(request, "new-link", token) if token else "",
                )
            except CsrfRefused as forged:
                # Nothing of the form was used. The person (if it was one) starts again
                # from their invitation's link, which the page does not repeat.
                return page(
                    request,
                    "refused.html.j2",
                    forged.status,
                    heading="This form cannot be accepted",
                    message=forged.detail,
                )
            except (InvitationServiceUnavailable, TooManyRequests) as busy:
                # The link can be judged neither way now: say so, and keep it unused.
                return page(
                    request,
                    "refused.html.j2",
                    busy.status,
                    headers=busy.headers,
                    heading="Please try again shortly",
                    message=busy.detail,
                )
            except BodyTooLarge as too_large:
                return page(
                    request,
                    "refused.html.j2",
                    too_large.status,
                    heading="This form is too large",
                    message="Please go back, shorten what you entered, and send it again.",
                )

        return answer


async def _link_token(request: Request) -> str:
    """The link's token the request came with: in the query of the page the link opens, in
    the form of anything posted from it. A form has been read by then (FastAPI reads the
    body before it calls the route), so this reads what is kept of it."""
    if request.method == "GET":
        return request.query_params.get("token", "")
    token = (await request.form()).get("token", "")
    return token if isinstance(token, str) else ""
