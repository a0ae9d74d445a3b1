"""One error model for every route: RFC 9457 Problem Details (`application/problem+json`).

A service raises a `Problem` (`onboarding_kit.errors`) from anywhere below its routes; FastAPI's own
errors (validation, unknown route, wrong method) are answered in the same shape, with
`errors` naming each bad field. `install_problems` also rewrites the OpenAPI document so
that every error status a route declares (and FastAPI's 422) is documented as a problem.
"""

from collections.abc import Iterable
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from onboarding_kit.errors import FieldError, Problem

PROBLEM_JSON = "application/problem+json"


class FieldErrorOut(BaseModel):
    field: str = Field(description="The bad field: a body field, query or path parameter")
    reason: str = Field(description="Why it was refused, in words a person can act on")


class ProblemDetails(BaseModel):
    """RFC 9457 Problem Details. Extension members (such as `reason`) may be present."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(default="about:blank", description="A URI naming the kind of problem")
    title: str = Field(description="A short summary of the kind of problem")
    status: int = Field(description="The HTTP status code")
    detail: str | None = Field(default=None, description="This occurrence, explained")
    errors: list[FieldErrorOut] = Field(default_factory=list, description="Each bad field")


def problem_details(problem: Problem) -> ProblemDetails:
    return ProblemDetails(
        title=problem.heading,
        status=problem.status,
        detail=problem.detail,
        errors=[FieldErrorOut(field=e.field, reason=e.reason) for e in problem.errors],
        **problem.extensions,
    )


def problem_response(problem: Problem) -> Response:
    return JSONResponse(
        problem_details(problem).model_dump(mode="json", exclude_none=True),
        status_code=problem.status,
        headers=problem.headers,
        media_type=PROBLEM_JSON,
    )


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route that may answer these error statuses (documented as
    problems by `install_problems`)."""
    return {status: {"description": HTTPStatus(status).phrase} for status in statuses}


def _location(loc: Iterable[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:] or parts
    return ".".join(parts)


async def _validation_problem(_: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    errors = [
        FieldError(field=_location(e.get("loc", ())), reason=str(e.get("msg", "invalid")))
        for e in error.errors()
    ]
    return problem_response(
        Problem(
            "; ".join(f"{e.field}: {e.reason}" for e in errors) or "the request is invalid",
            status=422,
            title="Invalid request",
            errors=errors,
        )
    )


async def _problem(_: Request, error: Exception) -> Response:
    assert isinstance(error, Problem)
    return problem_response(error)


def _allowed_methods(app: FastAPI, request: Request) -> list[str]:
    """Every method some route of the app answers on this path (Starlette's own 405 names
    only the first matching route's)."""
    methods: set[str] = set()
    for route in app.router.routes:
        match, _ = route.matches({**request.scope, "method": "__ANY__"})
        if match is not Match.NONE:
            methods.update(getattr(route, "methods", None) or ())
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


def install_problems(app: FastAPI) -> None:
    """Answer every error as a problem, and document them so in the OpenAPI document."""

    async def http_problem(request: Request, error: Exception) -> Response:
        assert isinstance(error, StarletteHTTPException)
        headers = dict(error.headers or {})
        if error.status_code == 405:
            headers["Allow"] = ", ".join(_allowed_methods(app, request))
        detail = (
            error.detail if isinstance(error.detail, str) else HTTPStatus(error.status_code).phrase
        )
        if error.status_code < 200 or error.status_code in (204, 304):
            return Response(status_code=error.status_code, headers=headers)
        return problem_response(Problem(detail, status=error.status_code, headers=headers))

    app.add_exception_handler(Problem, _problem)
    app.add_exception_handler(RequestValidationError, _validation_problem)
    app.add_exception_handler(StarletteHTTPException, http_problem)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = document_problems(document)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def document_problems(document: dict[str, Any]) -> dict[str, Any]:
    """Every 4xx/5xx response of every operation answers `application/problem+json`."""
    components = document.setdefault("components", {}).setdefault("schemas", {})
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    components["FieldErrorOut"] = FieldErrorOut.model_json_schema()
    components["ProblemDetails"] = ProblemDetails.model_json_schema(
        ref_template="#/components/schemas/{model}"
    )
    components["ProblemDetails"].pop("$defs", None)
    schema = {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            if "requestBody" in operation:
                # A body that cannot be parsed at all (not JSON, a broken form) is refused
                # before validation, by FastAPI itself.
                operation["responses"].setdefault("400", {"description": "Bad Request"})
            for status, response in operation.get("responses", {}).items():
                if str(status)[0] in "45":
                    response["content"] = {PROBLEM_JSON: schema}
                    if status == "422":
                        response["description"] = "The request is invalid: see `errors`"
    return document
