"""What the invitation service's routes depend on: its dependencies, and the guard that
lets only internal callers in."""

import hmac
from typing import Annotated

from fastapi import Depends, Header, Request
from onboarding_contracts.internal.invitations import TOKEN_HEADER
from onboarding_kit.runtime import dependencies_of

from invitation.bootstrap import InvitationDependencies
from invitation.errors import NotAnInternalCaller


def get_deps(request: Request) -> InvitationDependencies:
    return dependencies_of(request, InvitationDependencies)


Deps = Annotated[InvitationDependencies, Depends(get_deps)]


def require_internal_token(
    deps: Deps, given: Annotated[str | None, Header(alias=TOKEN_HEADER)] = None
) -> None:
    """Compared as bytes in constant time: `compare_digest` refuses str with non-ASCII
    characters (a header may carry any), which would otherwise answer 500, not 401."""
    expected = deps.settings.internal_api_token
    if given is None or not hmac.compare_digest(given.encode(), expected.encode()):
        raise NotAnInternalCaller()


InternalCaller = Depends(require_internal_token)
