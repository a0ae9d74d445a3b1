"""The internal routes over the fakes (no database): the internal-token guard, the answers
and refusals of the contract, and what the OpenAPI document says of them."""

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from invitation.app import create_app
from invitation.domain.statuses import REFUSAL_MESSAGES, InvitationStatus
from invitation.settings import InvitationSettings
from onboarding_contracts.internal.invitations import (
    INSPECT_PATH,
    NEW_LINK_PATH,
    PREFIX,
    REDEEM_PATH,
    RESEND_PATH,
    TOKEN_HEADER,
    LinkRefusal,
)
from onboarding_kit.sealing import new_key

INTERNAL_TOKEN = "internal-token-for-the-tests-0123456789"
AUTH = {TOKEN_HEADER: INTERNAL_TOKEN}
INSPECT = PREFIX + INSPECT_PATH
REDEEM = PREFIX + REDEEM_PATH
RESEND = PREFIX + RESEND_PATH
NEW_LINK = PREFIX + NEW_LINK_PATH
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


@pytest.mark.parametrize("path", (*PATHS, NEW_LINK))
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
    tx.invitations.add(
        "tok",
        course_title="Biology for beginners",
        phone="+441632960961",
        max_resends=2,
        activation="admin",
        username_source="email",
    )
    expected = {
        "invitation_id": "inv-1",
        "tenant_id": "tenant-1",
        "enrolment_id": "enr-1",
        "email": "ann@example.org",
        "name": "Ann Lee",
        "course": "Biology 101",
        "course_title": "Biology for beginners",
        "phone": "+441632960961",
        "correlation_id": "corr-1",
        # The whole policy the link was sent under: registration decides by it.
        "link_policy": {
            "ttl_hours": 24.0,
            "max_resends": 2,
            "self_service_resend": False,
            "activation": "admin",
            "username_source": "email",
        },
        "purpose": "sign_up",
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


async def test_the_guard_covers_the_resend_route_too(tx, client: httpx.AsyncClient) -> None:
    tx.invitations.add("tok")
    body = {"tenant_id": "tenant-1", "enrolment_id": "enr-1"}
    response = await client.post(RESEND, json=body, headers={TOKEN_HEADER: "x" * 20})
    assert response.status_code == 401
    assert tx.invitations.invitations["inv-1"].send_count == 1


async def test_a_resend_answers_the_invitations_state(tx, client: httpx.AsyncClient) -> None:
    tx.invitations.add("tok", status=InvitationStatus.EXPIRED)
    body = {"tenant_id": "tenant-1", "enrolment_id": "enr-1", "link_policy": {"ttl_hours": 1}}
    response = await client.post(RESEND, json=body, headers=AUTH)
    assert response.status_code == 200, response.text
    state = response.json()
    assert {k: state[k] for k in ("invitation_id", "enrolment_id", "status")} == {
        "invitation_id": "inv-1",
        "enrolment_id": "enr-1",
        "status": "pending",
    }
    assert (state["send_count"], state["resend_count"], state["reminder_count"]) == (2, 1, 0)
    sent_at = datetime.fromisoformat(state["last_sent_at"])
    assert datetime.fromisoformat(state["expires_at"]) == sent_at + timedelta(hours=1)
    # The old link is now refused as replaced.
    refused = await client.post(INSPECT, json={"token": "tok"}, headers=AUTH)
    assert (refused.status_code, refused.json()["reason"]) == (410, "replaced")


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"status": InvitationStatus.ACCEPTED}, "accepted"),
        ({"status": InvitationStatus.REVOKED}, "revoked"),
        ({"resend_count": 3}, "limit_reached"),
        ({"enrolment_id": "enr-2"}, "not_issued"),
    ],
)
async def test_a_refused_resend_is_a_409_problem_with_the_reason(
    tx, client: httpx.AsyncClient, changes: dict[str, object], reason: str
) -> None:
    tx.invitations.add("tok", **changes)
    body = {"tenant_id": "tenant-1", "enrolment_id": "enr-1"}
    response = await client.post(RESEND, json=body, headers=AUTH)
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["reason"] == reason
    assert problem["message"] == problem["detail"]


async def test_a_new_link_is_accepted_without_showing_the_address(
    tx, client: httpx.AsyncClient
) -> None:
    tx.invitations.add("tok", status=InvitationStatus.EXPIRED, self_service_resend=True)
    refused = await client.post(INSPECT, json={"token": "tok"}, headers=AUTH)
    assert (refused.status_code, refused.json()["new_link_allowed"]) == (410, True)

    response = await client.post(NEW_LINK, json={"token": "tok"}, headers=AUTH)
    assert response.status_code == 202
    assert set(response.json()) == {"message"}
    assert "ann@example.org" not in response.text
    assert "email address" in response.json()["message"]
    again = await client.post(NEW_LINK, json={"token": "tok"}, headers=AUTH)
    assert (again.status_code, again.json()["reason"]) == (409, "too_soon")


@pytest.mark.parametrize(
    ("token", "changes", "status", "reason"),
    [
        ("other", {}, 404, "unknown"),
        ("tok", {"status": InvitationStatus.ACCEPTED}, 410, "used"),
        ("tok", {"self_service_resend": False}, 409, "not_allowed"),
        ("tok", {"resend_count": 3}, 409, "limit_reached"),
    ],
)
async def test_new_link_refusals(
    tx, client: httpx.AsyncClient, token: str, changes: dict, status: int, reason: str
) -> None:
    tx.invitations.add(
        "tok", **{"status": InvitationStatus.EXPIRED, "self_service_resend": True, **changes}
    )
    response = await client.post(NEW_LINK, json={"token": token}, headers=AUTH)
    assert response.status_code == status
    assert response.json()["reason"] == reason


@pytest.mark.parametrize(
    ("path", "ok", "statuses", "schema"),
    [
        (RESEND, "200", {"401", "409", "422"}, "InvitationState"),
        (NEW_LINK, "202", {"401", "404", "409", "410", "422"}, "NewLinkOut"),
    ],
)
async def test_the_openapi_document_names_every_answer_of_the_new_routes(
    client: httpx.AsyncClient, path: str, ok: str, statuses: set[str], schema: str
) -> None:
    document = (await client.get("/openapi.json")).json()
    responses = document["paths"][path]["post"]["responses"]
    assert {ok, *statuses} <= set(responses)
    for status in statuses:
        assert "application/problem+json" in responses[status]["content"], status
    answer = responses[ok]["content"]["application/json"]["schema"]
    assert answer == {"$ref": f"#/components/schemas/{schema}"}
