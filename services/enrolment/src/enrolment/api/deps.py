"""What routes depend on: the service's dependencies, the calling tenant, and the query
parameters several routes share."""

from typing import Annotated

from fastapi import Depends, Header, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from onboarding_kit.runtime import dependencies_of

from enrolment.bootstrap import EnrolmentDependencies
from enrolment.domain.attributes import (
    MAX_FLAGS,
    MAX_SECTION_LENGTH,
    MAX_SECTIONS,
    MAX_TAG_LENGTH,
    MAX_TAGS,
    clean_labels,
    phone_digits,
)
from enrolment.domain.invitations import InvitationStatus
from enrolment.domain.policy import InvitePolicy
from enrolment.domain.selection import InvitationSelection, Selection, flag_filter
from enrolment.domain.text import (
    CODE_PATTERN,
    MAX_EMAIL_LENGTH,
    MAX_FILTER_LENGTH,
    NO_CONTROL_PATTERN,
)
from enrolment.errors import InvalidEnrolment, Unauthenticated
from enrolment.use_cases.caller import Caller
from enrolment.use_cases.imports import ImportInto
from enrolment.use_cases.tenants import authenticate_tenant


def _dependencies(request: Request) -> EnrolmentDependencies:
    return dependencies_of(request, EnrolmentDependencies)


Deps = Annotated[EnrolmentDependencies, Depends(_dependencies)]

# Parses `Authorization: Bearer <key>` (and documents it); the refusal is ours, below.
_bearer = HTTPBearer(auto_error=False, description="The tenant's API key")


async def _tenant_id(
    deps: Deps,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    if credentials is None:
        raise Unauthenticated("send the tenant API key as `Authorization: Bearer <key>`")
    return await authenticate_tenant(deps.uow, credentials.credentials)


# The tenant whose API key authenticates the request (401 otherwise).
TenantId = Annotated[str, Depends(_tenant_id)]


# A filter's value: any text without control characters (PostgreSQL cannot hold a NUL).
Filter = Annotated[str | None, Query(max_length=MAX_FILTER_LENGTH, pattern=NO_CONTROL_PATTERN)]
# The id of an enrolment or an import in a path.
EntityId = Annotated[str, Path(max_length=100, pattern=NO_CONTROL_PATTERN)]


def _caller(
    deps: Deps,
    tenant_id: TenantId,
    x_correlation_id: Annotated[
        str | None,
        Header(
            max_length=100,
            pattern=r"^[!-~]+$",
            description="Carried by every event this request causes; one is made if absent",
        ),
    ] = None,
) -> Caller:
    return Caller(tenant_id, x_correlation_id or deps.new_id())


# The tenant, and the correlation id the events this request causes carry.
CurrentCaller = Annotated[Caller, Depends(_caller)]


def _selection(
    status: Filter = None,
    role: Filter = None,
    course: Filter = None,
    cohort: Filter = None,
    import_id: Filter = None,
    q: Annotated[
        str | None,
        Query(
            max_length=MAX_FILTER_LENGTH,
            pattern=NO_CONTROL_PATTERN,
            description="text in name, email or external id",
        ),
    ] = None,
    tag: Annotated[
        list[str] | None, Query(description="Repeatable: people with every tag given")
    ] = None,
    flag: Annotated[
        list[str] | None,
        Query(
            description="Repeatable: `<name>` (or `<name>:true`) for people with the flag set "
            "true, `<name>:false` for the others (false, or never set)"
        ),
    ] = None,
    file_number: Annotated[
        str | None,
        Query(
            max_length=MAX_FILTER_LENGTH,
            pattern=NO_CONTROL_PATTERN,
            description="the whole personal file number",
        ),
    ] = None,
    phone: Annotated[
        str | None,
        Query(
            max_length=MAX_FILTER_LENGTH,
            pattern=NO_CONTROL_PATTERN,
            description="the whole number, compared by its digits (and a leading +): spaces, "
            "dots, dashes and brackets do not matter",
        ),
    ] = None,
    section: Annotated[
        list[str] | None, Query(description="Repeatable: people in every section given")
    ] = None,
) -> Selection:
    return Selection(
        status,
        role,
        course,
        cohort,
        import_id,
        q,
        tags=clean_labels("tag", tag, MAX_TAGS, MAX_TAG_LENGTH),
        flags=_flag_filters(flag),
        file_number=file_number.strip() if file_number and file_number.strip() else None,
        phone=phone if phone and phone_digits(phone) else None,
        sections=clean_labels("section", section, MAX_SECTIONS, MAX_SECTION_LENGTH),
    )


def _flag_filters(raw: list[str] | None) -> tuple[tuple[str, bool], ...]:
    filters = tuple(dict.fromkeys(flag_filter(f) for f in raw or ()))
    if len(filters) > MAX_FLAGS:
        raise InvalidEnrolment("flag", f"more than {MAX_FLAGS} flags")
    return filters


Selected = Annotated[Selection, Depends(_selection)]


def _invitation_selection(
    status: Annotated[InvitationStatus | None, Query()] = None,
    course: Filter = None,
    cohort: Filter = None,
    import_id: Filter = None,
    email: Annotated[
        str | None,
        Query(
            max_length=MAX_EMAIL_LENGTH,
            pattern=NO_CONTROL_PATTERN,
            description="the whole address, whatever its case",
        ),
    ] = None,
) -> InvitationSelection:
    return InvitationSelection(status, course, cohort, import_id, email)


InvitationsSelected = Annotated[InvitationSelection, Depends(_invitation_selection)]

# A page of a list: how many items, and where it starts (the page before's `next_cursor`).
Limit = Annotated[int, Query(ge=1, le=1000)]
Cursor = Annotated[
    str | None,
    Query(
        max_length=1000, pattern=r"^[A-Za-z0-9_-]+$", description="`next_cursor` of the page before"
    ),
]


def _import_into(
    course: Annotated[str, Query(min_length=1, max_length=200, pattern=CODE_PATTERN)],
    cohort: Annotated[str | None, Query(min_length=1, max_length=200, pattern=CODE_PATTERN)] = None,
    invite: Annotated[InvitePolicy | None, Query(description="overrides the tenant policy")] = None,
) -> ImportInto:
    return ImportInto(course.strip(), cohort, invite)


# Where the people of an import or a manual batch are enrolled.
Into = Annotated[ImportInto, Depends(_import_into)]
