"""Every error answers RFC 9457 Problem Details, and the OpenAPI document says so."""

import httpx
import pytest
from fastapi import FastAPI
from onboarding_kit.errors import Conflict, InvalidField
from onboarding_kit.problems import PROBLEM_JSON, install_problems, problems
from pydantic import BaseModel, Field


class Body(BaseModel):
    name: str = Field(max_length=5)
    count: int


def make_app() -> FastAPI:
    app = FastAPI()
    install_problems(app)

    @app.post("/things", status_code=201, responses=problems(409))
    async def create(body: Body) -> dict[str, str]:
        if body.name == "taken":
            raise Conflict("a thing with this name exists")
        if body.name == "bad":
            raise InvalidField("name", "not a good name")
        return {"name": body.name}

    @app.get("/things")
    async def list_things() -> list[str]:
        return []

    @app.delete("/things/{thing_id}")
    async def delete(thing_id: int) -> None:
        return None

    return app


@pytest.fixture
async def client():
    transport = httpx.ASGITransport(app=make_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def test_fastapi_validation_errors_are_problems_naming_each_field(client) -> None:
    response = await client.post("/things", json={"name": "too long a name"})
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_JSON
    problem = response.json()
    assert problem["status"] == 422 and problem["title"]
    assert {e["field"] for e in problem["errors"]} == {"name", "count"}


async def test_a_raised_problem_keeps_its_status_and_fields(client) -> None:
    conflict = await client.post("/things", json={"name": "taken", "count": 1})
    assert conflict.status_code == 409
    assert conflict.json()["detail"] == "a thing with this name exists"
    invalid = await client.post("/things", json={"name": "bad", "count": 1})
    assert invalid.status_code == 422
    assert invalid.json()["errors"] == [{"field": "name", "reason": "not a good name"}]


async def test_unknown_routes_and_wrong_methods_are_problems_with_the_full_allow(client) -> None:
    missing = await client.get("/nothing")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == PROBLEM_JSON
    wrong = await client.put("/things")
    assert wrong.status_code == 405
    assert wrong.headers["allow"] == "GET, HEAD, POST"


async def test_the_openapi_document_describes_errors_as_problems(client) -> None:
    document = (await client.get("/openapi.json")).json()
    responses = document["paths"]["/things"]["post"]["responses"]
    assert set(responses) == {"201", "400", "409", "422"}
    for status in ("409", "422"):
        assert list(responses[status]["content"]) == [PROBLEM_JSON]
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert "ProblemDetails" in schemas
