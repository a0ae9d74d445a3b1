"""What routes depend on: the service's dependencies, its use cases bound to them, and the
rates of the public routes."""

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Annotated

from fastapi import Depends, Request
from onboarding_contracts.internal.invitations import LinkDetails, NewLinkOut
from onboarding_kit.runtime import dependencies_of

from registration.bootstrap import RegistrationDependencies
from registration.domain.sign_up import SignUp
from registration.limits import client_key
from registration.use_cases.inspect_link import inspect_link
from registration.use_cases.register import Registered, register
from registration.use_cases.request_new_link import request_new_link


def get_deps(request: Request) -> RegistrationDependencies:
    return dependencies_of(request, RegistrationDependencies)


Deps = Annotated[RegistrationDependencies, Depends(get_deps)]


def get_register(deps: Deps) -> Callable[[SignUp], Awaitable[Registered]]:
    return partial(
        register,
        uow=deps.uow,
        invitations=deps.invitations,
        password_hasher=deps.password_hasher,
        clock=deps.clock,
        new_id=deps.new_id,
    )


def get_inspect_link(deps: Deps) -> Callable[[str], Awaitable[LinkDetails]]:
    return partial(inspect_link, deps.invitations)


def get_request_new_link(deps: Deps) -> Callable[[str], Awaitable[NewLinkOut]]:
    return partial(request_new_link, deps.invitations)


Register = Annotated[Callable[[SignUp], Awaitable[Registered]], Depends(get_register)]
InspectLink = Annotated[Callable[[str], Awaitable[LinkDetails]], Depends(get_inspect_link)]
RequestNewLink = Annotated[Callable[[str], Awaitable[NewLinkOut]], Depends(get_request_new_link)]


def count_page_view(request: Request, deps: Deps) -> None:
    deps.limits.view_page(_client(request))


def count_submission(request: Request, deps: Deps) -> None:
    deps.limits.submit(_client(request))


def count_new_link_request(request: Request, deps: Deps) -> None:
    deps.limits.ask_new_link(_client(request))


def get_try_link(deps: Deps) -> Callable[[str], None]:
    return deps.limits.try_link


# Each raises `TooManyRequests` past its rate (see `registration.limits`).
PageView = Depends(count_page_view)  # of GET /join, per client
Submission = Depends(count_submission)  # of every registration, per client
NewLinkRequest = Depends(count_new_link_request)  # of POST /join/new-link, per client
TryLink = Annotated[Callable[[str], None], Depends(get_try_link)]  # per link: call it


def _client(request: Request) -> str:
    """Behind a proxy, uvicorn has already put the forwarded client address here (for the
    proxies `--forwarded-allow-ips` trusts)."""
    return client_key(request.client.host if request.client else None)
