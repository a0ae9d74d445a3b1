"""HTML pages for people: the templates, and the route class that answers a refused link,
an unreachable invitation service or a limit reached with a page instead of problem+json."""

from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, select_autoescape

from registration.api.limits import BoundedBodyRoute
from registration.errors import (
    BodyTooLarge,
    InvitationServiceUnavailable,
    LinkRefused,
    TooManyRequests,
)

templates = Jinja2Templates(
    env=Environment(
        loader=PackageLoader("registration", "templates"),
        autoescape=select_autoescape(["html", "html.j2"]),
    )
)


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


class PageRoute(BoundedBodyRoute):
    """A route answering a person: its refusals are pages too."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handle(request)
            except LinkRefused as refused:
                return page(request, "refused.html.j2", refused.status, message=refused.message)
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
