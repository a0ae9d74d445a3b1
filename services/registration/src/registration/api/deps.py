"""What routes depend on: the service's dependencies, its use cases bound to them, the
rates of the public routes and the CSRF check of the join pages' forms."""

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Annotated, Any

from fastapi import Depends, Form, Query, Request
from onboarding_contracts.internal.invitations import LinkDetails, NewLinkOut
from onboarding_kit.runtime import dependencies_of

from registration.bootstrap import RegistrationDependencies
from registration.csrf import FormName
from registration.domain.sign_up import SignUpForm
from registration.errors import CsrfRefused
from registration.limits import client_key
from registration.use_cases.check_username import UsernameCheck, check_username
from registration.use_cases.inspect_link import inspect_link
from registration.use_cases.register import Registered, register
from registration.use_cases.request_new_link import request_new_link


def get_deps(request: Request) -> RegistrationDependencies:
    return dependencies_of(request, RegistrationDependencies)


Deps = Annotated[RegistrationDependencies, Depends(get_deps)]


def get_register(deps: Deps) -> Callable[[SignUpForm], Awaitable[Registered]]:
    return partial(
        register,
        uow=deps.uow,
        invitations=deps.invitations,
        password_hasher=deps.password_hasher,
        passwords=deps.passwords,
        clock=deps.clock,
        new_id=deps.new_id,
    )


def get_inspect_link(deps: Deps) -> Callable[[str], Awaitable[LinkDetails]]:
    return partial(inspect_link, deps.invitations)


def get_request_new_link(deps: Deps) -> Callable[[str], Awaitable[NewLinkOut]]:
    return partial(request_new_link, deps.invitations)


def get_check_username(deps: Deps) -> Callable[[str, str], Awaitable[UsernameCheck]]:
    return partial(check_username, uow=deps.uow, invitations=deps.invitations)


Register = Annotated[Callable[[SignUpForm], Awaitable[Registered]], Depends(get_register)]
InspectLink = Annotated[Callable[[str], Awaitable[LinkDetails]], Depends(get_inspect_link)]
RequestNewLink = Annotated[Callable[[str], Awaitable[NewLinkOut]], Depends(get_request_new_link)]
CheckUsername = Annotated[
    Callable[[str, str], Awaitable[UsernameCheck]], Depends(get_check_username)
]


def count_page_view(request: Request, deps: Deps) -> None:
    deps.limits.view_page(_client(request))


def count_submission(request: Request, deps: Deps) -> None:
    deps.limits.submit(_client(request))


def count_new_link_request(request: Request, deps: Deps) -> None:
    deps.limits.ask_new_link(_client(request))


def count_username_check(request: Request, deps: Deps, token: Annotated[str, Query()] = "") -> None:
    deps.limits.check_username(_client(request), token)


def get_try_link(deps: Deps) -> Callable[[str], None]:
    return deps.limits.try_link


# Each raises `TooManyRequests` past its rate (see `registration.limits`).
PageView = Depends(count_page_view)  # of GET /join, per client
Submission = Depends(count_submission)  # of every registration, per client
NewLinkRequest = Depends(count_new_link_request)  # of POST /join/new-link, per client
UsernameCheckRate = Depends(count_username_check)  # per client and per link
TryLink = Annotated[Callable[[str], None], Depends(get_try_link)]  # per link: call it


def _posted_from_our_page(form: FormName) -> Callable[..., Any]:
    """A dependency refusing (`CsrfRefused`) a post of `form` without the CSRF token of
    the page rendered for its link, or sent from another site."""

    def check(
        request: Request,
        deps: Deps,
        token: Annotated[str, Form()] = "",
        csrf_token: Annotated[str, Form()] = "",
    ) -> None:
        fetch_site = request.headers.get("sec-fetch-site")
        if not deps.csrf.accepts(form, token, csrf_token, fetch_site=fetch_site):
            raise CsrfRefused()

    return check


JoinFormPosted = Depends(_posted_from_our_page("join"))  # of POST /join
NewLinkFormPosted = Depends(_posted_from_our_page("new-link"))  # of POST /join/new-link


def _client(request: Request) -> str:
    """Behind a proxy, uvicorn has already put the forwarded client address here (for the
    proxies `--forwarded-allow-ips` trusts)."""
    return client_key(request.client.host if request.client else None)
