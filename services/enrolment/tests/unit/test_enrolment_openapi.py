"""Every route documents every status it can answer, errors as problem+json."""

import pytest
from enrolment.app import create_app
from enrolment.settings import EnrolmentSettings
from onboarding_kit.problems import PROBLEM_JSON

# (method, path) -> the error statuses the route can answer.
ERRORS = {
    ("get", "/v1/courses"): {401},
    ("post", "/v1/courses"): {401, 409, 422},
    ("get", "/v1/cohorts"): {401, 422},
    ("post", "/v1/cohorts"): {401, 409, 422},
    ("get", "/v1/settings"): {401},
    ("put", "/v1/settings"): {401, 422},
    ("post", "/v1/enrolments"): {401, 409, 422},
    ("get", "/v1/enrolments"): {401, 422},
    ("get", "/v1/enrolments.csv"): {401, 422},
    ("get", "/v1/reports/accounts.pdf"): {401, 422, 503},
    ("get", "/v1/reports/accounts.csv"): {401, 422, 503},
    ("get", "/v1/enrolments/{enrolment_id}"): {401, 404},
    ("get", "/v1/enrolments/{enrolment_id}/notifications"): {401, 404},
    ("patch", "/v1/enrolments/{enrolment_id}"): {401, 404, 422},
    ("post", "/v1/enrolments/{enrolment_id}/invite"): {401, 404, 409},
    ("post", "/v1/enrolments/{enrolment_id}/cancel"): {401, 404, 409},
    ("post", "/v1/enrolments:invite"): {401, 422},
    ("get", "/v1/invitations"): {401, 422},
    ("post", "/v1/enrolments/{enrolment_id}/resend"): {401, 404, 409, 503},
    ("post", "/v1/enrolments/{enrolment_id}/remind"): {401, 404, 409},
    ("post", "/v1/enrolments:remind"): {401, 422},
    ("post", "/v1/enrolments/{enrolment_id}/activate"): {401, 404, 409},
    ("post", "/v1/enrolments:activate"): {401, 422},
    ("post", "/v1/enrolments:credentials"): {401, 422},
    ("post", "/v1/enrolments:batch"): {401, 413, 415, 422},
    ("get", "/v1/imports/template.csv"): set(),
    ("post", "/v1/imports"): {401, 413, 415, 422},
    ("get", "/v1/imports/{import_id}"): {401, 404},
    ("get", "/v1/imports/{import_id}/errors.csv"): {401, 404},
    ("get", "/v1/funnel"): {401},
}


@pytest.fixture(scope="module")
def document() -> dict:
    app = create_app(EnrolmentSettings(database_url="postgresql://nobody@127.0.0.1:1/none"))
    return app.openapi()


def test_every_route_is_in_the_table(document: dict) -> None:
    operations = {
        (method, path)
        for path, item in document["paths"].items()
        if path.startswith("/v1/")
        for method in item
    }
    assert operations == set(ERRORS)


@pytest.mark.parametrize(("operation", "errors"), ERRORS.items(), ids=lambda v: str(v))
def test_each_route_documents_the_errors_it_can_answer_as_problems(
    document: dict, operation: tuple[str, str], errors: set[int]
) -> None:
    method, path = operation
    responses = document["paths"][path][method]["responses"]
    documented = {int(status) for status in responses if status[0] in "45"}
    assert errors <= documented, f"{method.upper()} {path} documents {sorted(documented)}"
    for status in documented:
        assert list(responses[str(status)]["content"]) == [PROBLEM_JSON]


def test_authenticated_routes_say_how(document: dict) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes["HTTPBearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "The tenant's API key",
    }
    for (method, path), errors in ERRORS.items():
        security = document["paths"][path][method].get("security")
        assert (security == [{"HTTPBearer": []}]) == (401 in errors), (method, path)
