"""The internal routes over the fakes (no database): the internal-token guard, the answers
and refusals of the contract, and what the OpenAPI document says of them."""

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI
from invitation.app import create_app
from invitation.domain.statuses import REFUSAL_MESSAGES, InvitationStatus
from invitation.settings import InvitationSettings
from onboarding_contracts.internal.invitations import (
    INSPECT_PATH,
    PREFIX,
    REDEEM_PATH,
    TOKEN_HEADER,
    LinkRefusal,
)
from onboarding_kit.sealing import new_key

INTERNAL_TOKEN = "internal-token-for-the-tests-0123456789"
AUTH = {TOKEN_HEADER: INTERNAL_TOKEN}
INSPECT = PREFIX + INSPECT_PATH
REDEEM = PREFIX + REDEEM_PATH
PATHS = (INSPECT, REDEEM)
EXPIRES_AT = datetime(2100, 1, 1, tzinfo=UTC)


@pytest.fixture
def app(uow) -> FastAPI:
    app = create_app(
        InvitationSettings(
            database_url="postgresql://unused.invalid/invitation",
            invitation_link_key=new_key(),
            internal_api_token=INTERNAL_TOKEN,
        )
    )
    app.state.dependencies = dataclasses.replace(app.state.dependencies, uow=uow)
    return app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://invitation") as client:
        yield client


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    "token",
    [
        None,
        "not-the-internal-token-at-all",
        INTERNAL_TOKEN[:-1],
        "ïntérnal-tökén".encode(),  # non-ASCII: refused, never a 500
        "ïntérnal-tökén".encode("latin-1"),
    ],
)
async def test_only_a_caller_holding_the_internal_token_may_ask(
    tx, client: httpx.AsyncClient, path: str, token: str | bytes | None
) -> None:
    tx.invitations.add("tok")
    headers = {} if token is None else {TOKEN_HEADER: token}
    response = await client.post(path, json={"token": "tok"}, headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 401
    assert TOKEN_HEADER in response.json()["detail"]
    assert tx.invitations.invitations["inv-1"].status is InvitationStatus.PENDING


async def test_a_usable_link_is_described_and_redeemed(tx, client: httpx.AsyncClient) -> None:
    tx.invitations.add("tok")
    expected = {
        "invitation_id": "inv-1",
        "tenant_id": "tenant-1",
        "enrolment_id": "enr-1",
        "email": "ann@example.org",
        "name": "Ann Lee",
        "course": "Biology 101",
        "correlation_id": "corr-1",
    }
    for path in PATHS:
        response = await client.post(path, json={"token": "tok"}, headers=AUTH)
        assert response.status_code == 200, path
        body = response.json()
        assert datetime.fromisoformat(body.pop("expires_at")) == EXPIRES_AT
        assert body == expected
    assert tx.invitations.invitations["inv-1"].status is InvitationStatus.ACCEPTED


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    ("token", "status", "reason"),
    [
        ("no-such-token", InvitationStatus.PENDING, LinkRefusal.UNKNOWN),
        ("tok", InvitationStatus.ACCEPTED, LinkRefusal.USED),
        ("tok", InvitationStatus.REVOKED, LinkRefusal.REVOKED),
        ("tok", InvitationStatus.EXPIRED, LinkRefusal.EXPIRED),
    ],
)
async def test_a_refusal_is_a_problem_carrying_the_reason_and_the_message(
    tx,
    client: httpx.AsyncClient,
    path: str,
    token: str,
    status: InvitationStatus,
    reason: LinkRefusal,
) -> None:
    tx.invitations.add("tok", status=status)
    response = await client.post(path, json={"token": token}, headers=AUTH)
    assert response.status_code == reason.status_code
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    # `reason` and `message` are what the registration service reads.
    assert body["reason"] == reason.value
    assert body["message"] == REFUSAL_MESSAGES[reason]
    assert body["status"] == reason.status_code
    assert body["detail"] == REFUSAL_MESSAGES[reason]
    assert body["title"]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("body", [{"token": ""}, {"token": "x" * 201}, {}])
async def test_a_malformed_body_is_a_problem_naming_the_token(
    client: httpx.AsyncClient, path: str, body: dict[str, str]
) -> None:
    response = await client.post(path, json=body, headers=AUTH)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == ["token"]


async def test_an_overlong_account_id_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post(
        REDEEM, json={"token": "tok", "account_id": "a" * 101}, headers=AUTH
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["account_id"]


@pytest.mark.parametrize("path", PATHS)
async def test_the_openapi_document_names_every_answer_of_both_routes(
    client: httpx.AsyncClient, path: str
) -> None:
    document = (await client.get("/openapi.json")).json()
    responses = document["paths"][path]["post"]["responses"]
    assert {"200", "401", "404", "410", "422"} <= set(responses)
    for status in ("401", "404", "410", "422"):
        assert "application/problem+json" in responses[status]["content"], status
    ok = responses["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/LinkDetails"}
