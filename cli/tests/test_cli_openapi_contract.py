"""`onboard` and the enrolment API agree, as the API's own OpenAPI document says.

The document is built in-process from the service's app factory (no database needed). Then:
every request the CLI makes (`api_models.ROUTES`) must be a documented method and path, with
its path and query parameters and its body declared and of types the API accepts; every field
each CLI answer model declares must be in the documented answer, as required as the CLI needs
it and of a type whose every documented value the model accepts; the problem details the CLI
reads must fit the documented error answers; and the test double in conftest.py must serve
those routes and answer what the document says. A disagreement fails with the route, the
field and why.

The same holds for `onboard dlq` and the operations API (`ops_models.OPS_ROUTES`), checked
against each of the four services' documents, since every service answers it: the routes,
the `X-Ops-Token` header, the `{letter_id}` the CLI lets through, the answers, the problems,
and the ops double in conftest.py."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from onboarding_cli import api_models, ops_models
from onboarding_cli.api_models import PROBLEM_MEDIA_TYPE, ROUTES, Problem, Route
from onboarding_cli.config import SERVICES
from onboarding_cli.ops_models import OPS_ROUTES, OPS_TOKEN_HEADER
from pydantic import BaseModel, Field

if TYPE_CHECKING:  # the fixtures' types; conftest is not importable at run time
    from conftest import FakeApi, FakeOps

JSON = "application/json"
NULL = {"type": "null"}
ANNOTATIONS = {"title", "description", "examples", "default", "deprecated", "readOnly"}


# --- the document ------------------------------------------------------------------------


def build_document() -> dict[str, Any]:
    """The enrolment service's OpenAPI document, from its own app factory."""
    try:
        from enrolment.app import create_app
        from enrolment.settings import EnrolmentSettings
    except ImportError as error:
        pytest.fail(f"cannot build the enrolment API's OpenAPI document: {error!r}")
    settings = EnrolmentSettings(database_url="postgresql://unused/db")
    return create_app(settings).openapi()


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return build_document()


def build_service_document(service: str) -> dict[str, Any]:
    """One service's OpenAPI document, from its own app factory and the settings it needs
    (none of them is used: nothing is started)."""
    try:
        from onboarding_kit.sealing import new_key

        if service == "enrolment":
            return build_document()
        if service == "invitation":
            from invitation.app import create_app as invitation_app
            from invitation.settings import InvitationSettings

            return invitation_app(
                InvitationSettings(
                    database_url="postgresql://unused/db",
                    invitation_link_key=new_key(),
                    internal_api_token="unused-internal-token",
                )
            ).openapi()
        if service == "notification":
            from notification.app import create_app as notification_app
            from notification.settings import NotificationSettings

            return notification_app(
                NotificationSettings(
                    database_url="postgresql://unused/db", invitation_link_key=new_key()
                )
            ).openapi()
        from registration.app import create_app as registration_app
        from registration.settings import RegistrationSettings

        return registration_app(
            RegistrationSettings(
                database_url="postgresql://unused/db",
                internal_api_token="unused-internal-token",
            )
        ).openapi()
    except ImportError as error:
        pytest.fail(f"cannot build the {service} API's OpenAPI document: {error!r}")


@pytest.fixture(scope="module")
def ops_documents() -> dict[str, dict[str, Any]]:
    """Every service's document: each answers the operations API."""
    return {service: build_service_document(service) for service in SERVICES}


# --- JSON schemas, and whether one accepts all that another allows -----------------------


@dataclass(frozen=True)
class Side:
    """A JSON schema and the document its `$ref`s point into."""

    schema: Any
    root: dict[str, Any]
    name: str  # "onboard" or "the API", for the messages

    def at(self, schema: Any) -> Side:
        return Side(schema, self.root, self.name)


def model_side(model: type[BaseModel], mode: str = "validation") -> Side:
    schema = model.model_json_schema(mode=mode)  # type: ignore[arg-type]
    return Side(schema, schema, "onboard")


def resolve(side: Side) -> Side:
    schema = side.schema
    while isinstance(schema, dict) and "$ref" in schema:
        target: Any = side.root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
    return side.at(schema)


def branches(side: Side) -> list[Side]:
    """The alternatives a schema allows (anyOf, oneOf, a list of types), each resolved."""
    side = resolve(side)
    schema = side.schema
    if schema is True or not isinstance(schema, dict):
        return [side.at({})]
    schema = {k: v for k, v in schema.items() if k not in ANNOTATIONS}
    for key in ("anyOf", "oneOf"):
        if key in schema:
            rest = {k: v for k, v in schema.items() if k != key}
            return [b for sub in schema[key] for b in branches(side.at(conjoined(rest, sub)))]
    if "allOf" in schema:
        merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
        for sub in schema["allOf"]:
            (part,) = branches(side.at(sub))
            props = {**merged.get("properties", {}), **part.schema.get("properties", {})}
            required = [*merged.get("required", []), *part.schema.get("required", [])]
            merged = {**merged, **part.schema, "properties": props, "required": required}
        return branches(side.at(merged))
    if isinstance(schema.get("type"), list):
        return [side.at({**schema, "type": t}) for t in schema["type"]]
    return [side.at(schema)]


def conjoined(rest: dict[str, Any], sub: dict[str, Any]) -> dict[str, Any]:
    """A schema and one alternative of its anyOf, both to hold. An alternative that only
    says which fields are required (an object naming at least one of its fields) keeps the
    object's own description of each field and adds its requirements."""
    merged = {**rest, **sub}
    if "properties" in rest and "properties" in sub:
        merged["properties"] = {**sub["properties"], **rest["properties"]}
    if "required" in rest and "required" in sub:
        merged["required"] = [*rest["required"], *sub["required"]]
    return merged


def values_of(schema: dict[str, Any]) -> list[Any] | None:
    if "const" in schema:
        return [schema["const"]]
    return list(schema["enum"]) if "enum" in schema else None


def type_of(schema: dict[str, Any]) -> str | None:
    if "type" in schema:
        return str(schema["type"])
    values = values_of(schema)
    if values:
        names = {bool: "boolean", int: "integer", float: "number", str: "string"}
        return "null" if values[0] is None else names.get(type(values[0]))
    if "properties" in schema:
        return "object"
    return None  # anything


def describe(schema: dict[str, Any]) -> str:
    values = values_of(schema)
    return f"one of {values}" if values else type_of(schema) or "anything"


def same_kind(r: dict[str, Any], w: dict[str, Any]) -> bool:
    kinds = type_of(r), type_of(w)
    return kinds[0] in (None, kinds[1]) or kinds == ("number", "integer")


def accepts(reader: Side, writer: Side, where: str) -> list[str]:
    """Where `writer` may produce a value that `reader` does not accept (empty: none).
    Each alternative the writer allows must fit one of the reader's of the same kind."""
    found: list[str] = []
    readers = branches(reader)
    for w in branches(writer):
        tries = [accepts_one(r, w, where) for r in readers if same_kind(r.schema, w.schema)]
        if not tries:
            takes = " or ".join(describe(r.schema) for r in readers)
            found.append(
                f"{where}: {writer.name} may give {describe(w.schema)}, which {reader.name} "
                f"does not take ({takes})"
            )
        elif all(tries):  # every candidate has problems: the closest one's
            found.extend(min(tries, key=len))
    return found


BOUNDS = (("minLength", 1), ("minimum", 1), ("exclusiveMinimum", 1), ("minItems", 1))
BOUNDS += (("maxLength", -1), ("maximum", -1), ("exclusiveMaximum", -1), ("maxItems", -1))


def accepts_one(r: Side, w: Side, where: str) -> list[str]:
    rs, ws = r.schema, w.schema
    if type_of(rs) is None and values_of(rs) is None:
        return []  # the reader takes anything
    if type_of(ws) is None:
        return [f"{where}: {w.name} may give anything, {r.name} takes {describe(rs)}"]
    found = []
    r_values, w_values = values_of(rs), values_of(ws)
    if r_values is not None:
        extra = sorted(map(str, set(w_values or ["any " + describe(ws)]) - set(r_values)))
        if extra:
            found.append(f"{where}: {w.name} may give {extra}, {r.name} takes only {r_values}")
    if rs.get("format") and rs.get("format") != ws.get("format"):
        found.append(
            f"{where}: {r.name} takes only format {rs['format']}, {w.name} gives "
            f"{ws.get('format') or 'any ' + describe(ws)}"
        )
    if rs.get("pattern") and rs.get("pattern") != ws.get("pattern"):
        found.append(f"{where}: {r.name} takes only /{rs['pattern']}/, {w.name} gives any")
    for bound, sign in BOUNDS:
        if bound in rs and (bound not in ws or (ws[bound] - rs[bound]) * sign < 0):
            found.append(
                f"{where}: {r.name} takes {bound} {rs[bound]}, {w.name} gives "
                f"{ws.get(bound, 'no such bound')}"
            )
    if type_of(rs) == "array":
        found += accepts(r.at(rs.get("items", {})), w.at(ws.get("items", {})), f"{where}[]")
    if type_of(rs) == "object":
        found += accepts_object(r, w, where)
    return found


def accepts_object(r: Side, w: Side, where: str) -> list[str]:
    r_props, w_props = r.schema.get("properties", {}), w.schema.get("properties", {})
    r_required, w_required = set(r.schema.get("required", [])), set(w.schema.get("required", []))
    # onboard reading the API or sending to it, every field it names must be documented
    cli_props, other = (r_props, w) if r.name == "onboard" else (w_props, r)
    found = [
        f"{where}.{name}: onboard {'reads' if r.name == 'onboard' else 'sends'} it; "
        f"{other.name} has no such field (it has {sorted(other.schema.get('properties', {}))})"
        for name in cli_props
        if name not in other.schema.get("properties", {})
    ]
    for name in sorted(r_required):
        if name in w_props and name not in w_required:
            found.append(f"{where}.{name}: {r.name} needs it, {w.name} may leave it out")
        elif name not in w_props and name not in cli_props:
            found.append(f"{where}.{name}: {r.name} needs it, {w.name} never gives it")
    for name in r_props.keys() & w_props.keys():
        found += accepts(r.at(r_props[name]), w.at(w_props[name]), f"{where}.{name}")
    return found


def validate(instance: Any, side: Side, where: str = "") -> list[str]:
    """Where `instance` breaks the schema (the parts of JSON Schema the API's document uses)."""
    errors: list[list[str]] = []
    for branch in branches(side):
        schema, found = branch.schema, []
        kind = type_of(schema)
        checks = {
            "null": instance is None,
            "boolean": isinstance(instance, bool),
            "integer": isinstance(instance, int) and not isinstance(instance, bool),
            "number": isinstance(instance, int | float) and not isinstance(instance, bool),
            "string": isinstance(instance, str),
            "array": isinstance(instance, list),
            "object": isinstance(instance, dict),
        }
        if kind is not None and not checks.get(kind, False):
            found.append(f"{where or '(the body)'}: {instance!r} is not {kind}")
        elif (values := values_of(schema)) is not None and instance not in values:
            found.append(f"{where}: {instance!r} is not one of {values}")
        elif kind == "string" and schema.get("format") == "date-time":
            try:
                datetime.fromisoformat(instance)
            except ValueError:
                found.append(f"{where}: {instance!r} is not a date-time")
        elif kind == "array":
            for i, item in enumerate(instance):
                found += validate(item, branch.at(schema.get("items", {})), f"{where}[{i}]")
        elif kind == "object":
            props = schema.get("properties", {})
            found += [
                f"{where}.{n}: missing" for n in schema.get("required", []) if n not in instance
            ]
            for name, value in instance.items():
                if name in props:
                    found += validate(value, branch.at(props[name]), f"{where}.{name}")
                elif schema.get("additionalProperties") is False:
                    found.append(f"{where}.{name}: not a documented field")
        if not found:
            return []
        errors.append(found)
    return min(errors, key=len)


# --- what the document says about one route ----------------------------------------------


def operation(document: dict[str, Any], route: Route) -> dict[str, Any]:
    path = document["paths"].get(route.path)
    first = route.path.split("/")[1]
    assert path is not None, (
        f"{route}: the API documents no path {route.path} "
        f"(it has {sorted(p for p in document['paths'] if p.split('/')[1] == first)})"
    )
    found = path.get(route.method.lower())
    assert found is not None, f"{route}: the API documents only {sorted(path)} at {route.path}"
    return dict(found)


def answers(op: dict[str, Any], *, errors: bool) -> Iterator[tuple[str, dict[str, Any]]]:
    for status, answer in op.get("responses", {}).items():
        if (status == "default" or status[0] in "45") == errors:
            yield status, answer


def request_problems(
    document: dict[str, Any], route: Route, *, auth_header: str | None = None
) -> list[str]:
    """How `route`, as the CLI sends it, disagrees with the document. The CLI authenticates
    with `Authorization: Bearer <key>`, or else with the header `auth_header`."""
    op = operation(document, route)
    api = Side(document, document, "the API")
    declared = {(p["in"], p["name"]): p for p in op.get("parameters", [])}
    found = []
    in_template = set(re.findall(r"{(\w+)}", route.path))
    documented = {name for (where, name) in declared if where == "path"}
    if in_template != documented:
        found.append(f"{route}: path parameters {sorted(in_template)}, documented {documented}")
    if route.path_params is not None:
        onboard = model_side(route.path_params, "serialization")
        for name, schema in onboard.schema.get("properties", {}).items():
            param = declared.get(("path", name))
            if param is None:
                found.append(f"{route}: onboard checks {{{name}}}, the path has no such part")
                continue
            found += accepts(
                api.at(param.get("schema", {})), onboard.at(schema), f"{route} {{{name}}}"
            )
    headers = {n.lower() for w, n in declared if w == "header"}
    if auth_header is not None:
        if auth_header.lower() not in headers:
            found.append(
                f"{route}: onboard sends `{auth_header}`; the API documents no such header "
                f"(it has {sorted(headers)})"
            )
    else:
        schemes = document.get("components", {}).get("securitySchemes", {})
        security = op.get("security", document.get("security", []))
        bearer = any(
            schemes.get(name, {}).get("scheme", "").lower() == "bearer"
            for requirement in security
            for name in requirement
        )
        if not bearer and "authorization" not in headers:
            found.append(
                f"{route}: onboard sends `Authorization: Bearer <key>`; the API documents "
                "neither a bearer security scheme nor that header"
            )
    sent = route.query.model_fields if route.query is not None else {}
    if route.query is not None:
        onboard = model_side(route.query, "serialization")
        properties = onboard.schema.get("properties", {})
        for name, field in sent.items():
            param = declared.get(("query", name))
            if param is None:
                found.append(
                    f"{route}: onboard sends ?{name}=, the API declares no such query parameter "
                    f"(it has {sorted(n for (w, n) in declared if w == 'query')})"
                )
                continue
            if param.get("required") and not field.is_required():
                found.append(f"{route}: ?{name}= is required by the API, onboard may leave it out")
            values = [b for b in branches(onboard.at(properties[name])) if b.schema != NULL]
            sent_side = onboard.at({"anyOf": [b.schema for b in values]})
            found += accepts(api.at(param.get("schema", {})), sent_side, f"{route} ?{name}=")
    for (where, name), param in declared.items():
        if where == "query" and param.get("required") and name not in sent:
            found.append(f"{route}: the API requires ?{name}=, onboard never sends it")
    body = op.get("requestBody")
    if route.body_media_type is None:
        if body and body.get("required"):
            found.append(f"{route}: the API requires a body, onboard sends none")
        return found
    content = (body or {}).get("content", {})
    if route.body_media_type not in content:
        found.append(
            f"{route}: onboard sends a {route.body_media_type} body, the API takes "
            f"{sorted(content) or 'none'}"
        )
    elif route.body is not None:
        schema = content[route.body_media_type].get("schema", {})
        found += accepts(api.at(schema), model_side(route.body, "serialization"), f"{route} body")
    return found


def answer_problems(document: dict[str, Any], route: Route) -> list[str]:
    """How the answer the CLI reads from `route` disagrees with the documented one."""
    op = operation(document, route)
    success = [(s, a) for s, a in answers(op, errors=False) if s.startswith("2")]
    if not success:
        return [f"{route}: the API documents no success answer"]
    found = []
    for status, answer in success:
        content = answer.get("content", {})
        if route.answer is None:  # a file, not JSON: only its media type, if documented
            if content and route.answer_media_type not in content:
                found.append(f"{route} {status}: documented as {sorted(content)}")
            continue
        if JSON not in content:
            found.append(f"{route} {status}: the API documents no JSON answer ({sorted(content)})")
            continue
        api = Side(content[JSON].get("schema", {}), document, "the API")
        found += accepts(model_side(route.answer), api, f"{route} ({status}) answer")
    return found


def problem_responses(
    document: dict[str, Any], routes: tuple[Route, ...] = ROUTES
) -> Iterator[tuple[Route, str, dict[str, Any]]]:
    """The documented problem+json error answers of the routes the CLI calls."""
    for route in routes:
        for status, answer in answers(operation(document, route), errors=True):
            content = answer.get("content", {})
            if PROBLEM_MEDIA_TYPE in content:
                yield route, status, content[PROBLEM_MEDIA_TYPE].get("schema", {})


# --- the tests ---------------------------------------------------------------------------


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_each_cli_request_is_documented_with_its_parameters(
    document: dict[str, Any], route: Route
) -> None:
    problems = request_problems(document, route)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("route", [r for r in ROUTES if r.answer or r.method == "GET"], ids=str)
def test_each_cli_answer_model_fits_the_documented_answer(
    document: dict[str, Any], route: Route
) -> None:
    problems = answer_problems(document, route)
    assert not problems, "\n".join(problems)


def problem_details_problems(
    document: dict[str, Any], routes: tuple[Route, ...] = ROUTES
) -> list[str]:
    documented = list(problem_responses(document, routes))
    assert documented, "the API documents no application/problem+json error answers"
    return [
        problem
        for route, status, schema in documented
        for problem in accepts(
            model_side(Problem), Side(schema, document, "the API"), f"{route} {status}"
        )
    ]


def test_the_problem_details_the_cli_reads_fit_the_documented_errors(
    document: dict[str, Any],
) -> None:
    problems = problem_details_problems(document)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("module", "routes"), [(api_models, ROUTES), (ops_models, OPS_ROUTES)], ids=["api", "ops"]
)
def test_every_model_the_cli_parses_is_checked(module: Any, routes: tuple[Route, ...]) -> None:
    """A model in api_models (ops_models) that no route reaches would escape the checks."""
    top = {Problem} | {m for r in routes for m in (r.answer, r.body, r.path_params)}
    reached = {
        name
        for model in top
        if model is not None
        for name in [model.__name__, *model.model_json_schema().get("$defs", {})]
    }
    models = {
        name
        for name, value in vars(module).items()
        if isinstance(value, type)
        and issubclass(value, BaseModel)
        and not issubclass(value, api_models.Query)
        and value.__module__ == module.__name__
        and "[" not in name  # not a parametrized generic, such as RootModel[list[...]]
        and not name.startswith("_")
    }
    assert models, f"no models in {module.__name__}"
    assert models - reached == set()


def test_the_fake_api_serves_every_cli_route(api: FakeApi) -> None:
    served = {
        (method, route.path) for route in api.app.routes for method in getattr(route, "methods", ())
    }
    missing = [str(r) for r in ROUTES if (r.method, r.path) not in served]
    assert not missing, f"the test double does not serve {missing}"


def test_the_fake_api_answers_what_the_document_says(
    api: FakeApi, tmp_path: Path, document: dict[str, Any]
) -> None:
    """Drive every route of the double, good and bad, through the CLI; each JSON answer it
    gave must fit the schema the real API documents for that route and status."""
    people = tmp_path / "people.csv"
    people.write_text("email,id,name\na@example.org,1,A\nnot-an-email,2,B\nc@example.org,3,C\n")
    api.state.enrolments = [api.state.enrolment(i, cohort="2025") for i in range(3)]
    api.state.enrolments[0]["status"] = "invited"
    api.state.enrolments[2]["status"] = "pending_activation"
    api.state.invitations = [
        api.state.invitation(0, status="accepted", cohort="2025"),
        api.state.invitation(1, status="expired", reminder_count=1),
    ]
    first = ("import", str(people), "-c", "ielts", "-k", "2025", "--follow", "--interval", "0.01")
    assert api.run(*first).exit_code == 0
    runs = [
        ("import", str(people), "-c", "ielts", "-k", "nope"),
        ("status", next(iter(api.state.imports))),
        ("status", "no-such-import"),
        ("funnel", "--course", "ielts"),
        ("enrolments", "--limit", "2"),
        ("enrolments", "--csv"),
        ("settings", "--invite", "manual"),
        ("settings", "--link-hours", "0.5", "--remind-after", "off", "--no-self-service"),
        ("settings",),
        ("invitations", "--status", "expired"),
        ("resend", "e1"),
        ("resend", "e0"),  # accepted: 409
        ("resend", "nobody"),
        ("remind", "--course", "ielts", "--cohort", "2025"),
        ("remind", "--enrolment", "e0"),
        ("remind", "--enrolment", "e1"),  # enrolled: 409
        ("settings", "--activation", "admin", "--username-source", "email"),
        ("activate", "e2"),
        ("activate", "e1"),  # enrolled: 409
        ("activate", "nobody"),
        ("activate", "--course", "ielts", "--cohort", "2025"),
        ("credentials", "e0", "e1", "--channel", "sms"),
        ("credentials", "--course", "ielts", "--cohort", "2025"),
    ]
    for args in runs:
        api.run(*args)
    assert api.run("funnel", key="wrong").exit_code == 1
    answered = {(a.method, a.path) for a in api.state.answers if a.status < 300}
    json_routes = {(r.method, r.path) for r in ROUTES if r.answer is not None}
    assert answered == json_routes, "each JSON route answered at least once"
    assert {a.status for a in api.state.answers} >= {200, 201, 202, 401, 404, 409, 422}

    problems = undocumented_answers(api.state.answers, document)
    assert not problems, "the test double answers what the API does not:\n" + "\n".join(problems)


def undocumented_answers(answers: Any, document: dict[str, Any]) -> list[str]:
    """Where each of a double's JSON `answers` breaks what `document` says of its route and
    status."""
    problems = []
    for answer in answers:
        where = f"{answer.method} {answer.path} {answer.status}"
        responses = operation(document, Route(answer.method, answer.path)).get("responses", {})
        documented = responses.get(str(answer.status)) or responses.get("default")
        if documented is None:
            problems.append(f"{where}: a status the API does not document ({sorted(responses)})")
            continue
        content = documented.get("content", {})
        if answer.media_type not in content:
            problems.append(f"{where}: {answer.media_type}, documented as {sorted(content)}")
            continue
        schema = Side(content[answer.media_type].get("schema", {}), document, "the API")
        problems += [f"{where}: {problem}" for problem in validate(answer.body, schema)]
    return problems


# --- the operations API (onboard dlq), in every service's document ----------------------


@pytest.mark.parametrize("route", OPS_ROUTES, ids=str)
@pytest.mark.parametrize("service", SERVICES)
def test_each_dlq_request_is_documented_with_its_parameters(
    ops_documents: dict[str, dict[str, Any]], service: str, route: Route
) -> None:
    problems = request_problems(ops_documents[service], route, auth_header=OPS_TOKEN_HEADER)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("route", OPS_ROUTES, ids=str)
@pytest.mark.parametrize("service", SERVICES)
def test_each_dlq_answer_model_fits_the_documented_answer(
    ops_documents: dict[str, dict[str, Any]], service: str, route: Route
) -> None:
    problems = answer_problems(ops_documents[service], route)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("service", SERVICES)
def test_the_problem_details_dlq_reads_fit_the_documented_errors(
    ops_documents: dict[str, dict[str, Any]], service: str
) -> None:
    document = ops_documents[service]
    statuses = {
        (str(route), status) for route, status, _ in problem_responses(document, OPS_ROUTES)
    }
    # the refusals onboard dlq tells apart: no token, no such letter, replayed already
    assert {
        ("GET /internal/v1/dead-letters", "401"),
        ("GET /internal/v1/dead-letters/{letter_id}", "404"),
        ("POST /internal/v1/dead-letters/{letter_id}/replay", "409"),
        ("POST /internal/v1/dead-letters/{letter_id}/replay", "422"),
    } <= statuses
    problems = problem_details_problems(document, OPS_ROUTES)
    assert not problems, "\n".join(problems)


def test_the_fake_ops_api_serves_every_dlq_route(ops: FakeOps) -> None:
    for service, app in ops.apps.items():
        served = {
            (method, route.path) for route in app.routes for method in getattr(route, "methods", ())
        }
        missing = [str(r) for r in OPS_ROUTES if (r.method, r.path) not in served]
        assert not missing, f"the {service} ops double does not serve {missing}"


def test_the_fake_ops_api_answers_what_each_document_says(
    ops: FakeOps, ops_documents: dict[str, dict[str, Any]]
) -> None:
    """Drive every route of each service's double, good and bad, through `onboard dlq`;
    each JSON answer must fit what that service documents for the route and status."""
    parked = {service: ops.states[service].park(i) for i, service in enumerate(SERVICES)}
    fails = ops.states["invitation"].park(10, outcome="fails")
    undecodable = ops.states["notification"].park(11, outcome="undecodable")
    replayed = ops.states["registration"].park(12, replayed_at="2025-03-04T06:00:00Z")
    runs = [
        ("list",),
        *[("show", letter) for letter in parked.values()],
        ("show", "onboarding.enrolment.v1.dlt:0:99"),
        ("replay", parked["enrolment"], "-s", "enrolment"),
        ("replay", fails, "-s", "invitation"),
        ("replay", undecodable, "-s", "notification"),
        ("replay", replayed, "-s", "registration"),
    ]
    for args in runs:
        ops.run(*args)
    assert ops.run("list", token="a-token-the-services-refuse").exit_code == 1

    answered = {
        (a.method, a.path, a.status) for state in ops.states.values() for a in state.answers
    }
    assert {(r.method, r.path, 200) for r in OPS_ROUTES} <= answered
    assert {a[2] for a in answered} == {200, 401, 404, 409, 422}
    problems = [
        f"{service}: {problem}"
        for service, state in ops.states.items()
        for problem in undocumented_answers(state.answers, ops_documents[service])
    ]
    assert not problems, "the ops double answers what the API does not:\n" + "\n".join(problems)


def test_the_dlq_checks_catch_the_drift_they_are_for(
    ops_documents: dict[str, dict[str, Any]],
) -> None:
    document = ops_documents["notification"]

    class LooseId(BaseModel):  # lets through ids the API refuses
        letter_id: str

    class RenamedId(BaseModel):
        dead_letter_id: str = Field(max_length=300)

    show = ops_models.SHOW_DEAD_LETTER
    loose = Route(show.method, show.path, show.answer, path_params=LooseId)
    problems = "\n".join(request_problems(document, loose, auth_header=OPS_TOKEN_HEADER))
    assert "{letter_id}: the API takes only /^[A-Za-z0-9._-]+:[0-9]+:[0-9]+$/" in problems
    assert "{letter_id}: the API takes maxLength 300, onboard gives no such bound" in problems
    renamed = Route(show.method, show.path, show.answer, path_params=RenamedId)
    assert "onboard checks {dead_letter_id}, the path has no such part" in "\n".join(
        request_problems(document, renamed, auth_header=OPS_TOKEN_HEADER)
    )
    assert "onboard sends `X-Ops-Key`; the API documents no such header" in "\n".join(
        request_problems(document, show, auth_header="X-Ops-Key")
    )
    assert "onboard sends `Authorization: Bearer <key>`" in "\n".join(
        request_problems(document, show)  # the tenant's key is not what these routes take
    )

    class DriftedReplayOut(BaseModel):  # a status word instead of the flag
        id: str
        outcome: str

    replay = Route("POST", ops_models.REPLAY_DEAD_LETTER.path, DriftedReplayOut)
    assert "answer.outcome: onboard reads it; the API has no such field" in "\n".join(
        answer_problems(document, replay)
    )

    class NarrowedLetter(BaseModel):  # an event type the API may leave null
        id: str
        event_type: str

    listing = Route("GET", ops_models.LIST_DEAD_LETTERS.path, NarrowedLetter)
    assert "answer: the API may give array, which onboard does not take" in "\n".join(
        answer_problems(document, listing)
    )


# --- the checks themselves catch drift ---------------------------------------------------


def test_the_checks_catch_the_drift_they_are_for(document: dict[str, Any]) -> None:
    """The contract checks fail on each kind of disagreement (so they are not vacuous)."""

    class DriftedImportOut(BaseModel):  # the old `summary["invite"]`, and a narrowed type
        id: str
        invite: str | None = None
        cohort: str
        total_rows: str

    drifted = Route("POST", "/v1/imports", DriftedImportOut)
    problems = "\n".join(answer_problems(document, drifted))
    assert (
        "POST /v1/imports (201) answer.invite: onboard reads it; the API has no such field"
        in problems
    )
    assert "POST /v1/imports (201) answer.cohort: the API may give null" in problems
    assert "POST /v1/imports (201) answer.total_rows: the API may give integer" in problems

    class CsvLimit(api_models.SelectionQuery):  # the old `--csv --limit`, never declared
        limit: int | None = None

    export = Route("GET", "/v1/enrolments.csv", query=CsvLimit, answer_media_type="text/csv")
    assert any("?limit=" in p for p in request_problems(document, export))

    class Unbounded(api_models.Query):
        course: str
        invite: str | None = None

    loose = Route("POST", "/v1/imports", query=Unbounded, body_media_type="text/csv")
    problems = "\n".join(request_problems(document, loose))
    assert "?course=: the API takes minLength 1" in problems
    assert "?invite=: onboard may give ['any string'], the API takes only" in problems

    class AnyChannel(api_models.CredentialsIn):  # a channel the API has never heard of
        channel: str | None = None  # type: ignore[assignment]

    loose = Route("POST", "/v1/enrolments:credentials", body=AnyChannel, body_media_type=JSON)
    assert "body.channel: onboard may give ['any string'], the API takes only" in "\n".join(
        request_problems(document, loose)
    )
    assert "the API documents no path /v1/import " in _raised(document, Route("GET", "/v1/import"))
    assert "the API documents only ['post'] at /v1/imports" in _raised(
        document, Route("GET", "/v1/imports")
    )

    bad = {
        "invite_policy": "sometimes",
        "invitation_ttl_hours": 24,
        "max_resends": 3,
        "self_service_resend": False,
        "reminder_after_hours": None,
        "max_reminders": 2,
        "activation": "admin",
        "username_source": "email",
        "extra": 1,
    }
    assert validate(bad, model_side(api_models.SettingsBody)) == [
        ".invite_policy: 'sometimes' is not one of ['auto', 'manual']"
    ]


def _raised(document: dict[str, Any], route: Route) -> str:
    with pytest.raises(AssertionError) as raised:
        request_problems(document, route)
    return str(raised.value)
