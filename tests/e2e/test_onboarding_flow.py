"""The whole flow, through HTTP, Kafka, PostgreSQL and SMTP, with the four services running
as separate processes exactly as `make up` runs them."""

import asyncio

import asyncpg
import httpx
import pytest
from onboarding_devtools.testing import eventually, read_topic
from onboarding_devtools.testing.stack import RunningStack, hidden_fields
from onboarding_kit.kafka import TopicNames

pytestmark = pytest.mark.e2e

TENANT_KEY = "onb_e2e-tenant-key-0000000000000000"
OTHER_TENANT_KEY = "onb_e2e-other-tenant-key-000000000000"


Stack = RunningStack


@pytest.fixture(autouse=True)
async def tenants(add_tenant) -> None:
    await add_tenant("e2e", TENANT_KEY)
    await add_tenant("other", OTHER_TENANT_KEY)


def admin(stack: Stack, key: str = TENANT_KEY) -> httpx.AsyncClient:
    return stack.admin(key)


def link_for(stack: Stack, recipient: str) -> str:
    return stack.link_for(recipient)


CSV = (
    "name,email,id\n"  # columns in any order
    + "".join(f"Learner {n},learner{n}@example.org,S{n}\n" for n in range(1, 19))
    + "No Email,not-an-email,S19\n"
    + "Learner 1 Again,LEARNER1@example.org,S20\n"
)


async def test_enrol_invite_email_register_activate(
    stack: Stack, kafka: str, topic_prefix: str
) -> None:
    async with admin(stack) as client:
        imported = await client.post(
            "/v1/imports",
            params={"course": "ielts"},
            content=CSV,
            headers={"content-type": "text/csv"},
        )
        assert imported.status_code == 201, imported.text
        report = imported.json()
        assert (report["enrolled"], report["failed"], report["status"]) == (
            18,
            2,
            "completed_with_errors",
        )
        assert [(e["line"], e["field"]) for e in report["errors"]] == [(20, "email"), (21, "email")]
        assert "duplicate in this file (first on line 2)" in report["errors"][1]["reason"]

        await eventually(lambda: len(stack.mail()) >= 18, timeout_s=60)
        link = link_for(stack, "learner7@example.org")
        token = link.split("token=")[1]

        async with httpx.AsyncClient(timeout=30) as person:
            form = await person.get(link)
            assert form.status_code == 200
            assert "learner7@example.org" in form.text and 'name="password"' in form.text
            fields = {
                **hidden_fields(form.text),  # the token, and the form's CSRF token
                "token": token,
                "first_name": "Ada",
                "last_name": "Lovelace",
                "username": "ada7",
            }
            weak = await person.post(
                f"{stack.url('registration')}/join", data={**fields, "password": "short"}
            )
            assert weak.status_code == 422 and "at least 10 characters" in weak.text
            done = await person.post(
                f"{stack.url('registration')}/join",
                data={**fields, "password": "correct horse battery"},
            )
            assert done.status_code == 201 and "ielts" in done.text
            reused = await person.get(link)
            assert reused.status_code == 410 and "already been used" in reused.text

        enrolments = await client.get("/v1/funnel", params={"import_id": report["id"]})
        assert enrolments.json()["enrolled"] == 18

        async def activated() -> dict:
            funnel = (await client.get("/v1/funnel", params={"import_id": report["id"]})).json()
            return funnel if funnel["active"] == 1 else {}

        funnel = await eventually(activated, timeout_s=30)
        assert funnel == {
            "enrolled": 18,
            "invited": 18,
            "emailed": 18,
            "registered": 1,
            "pending_activation": 0,
            "active": 1,
            "expired": 0,
            "failed": 0,
            "cancelled": 0,
        }

    topics = TopicNames(topic_prefix)
    records = await read_topic(
        kafka,
        [topics.name(t) for t in ("onboarding.enrolment.v1",)],
        until=lambda rs: any(b"onboarding.enrolment.activated" in r.value for r in rs),
    )
    activated_event = next(r for r in records if b"onboarding.enrolment.activated" in r.value)
    assert b"learner7@example.org" in activated_event.value

    await assert_token_stored_and_published_nowhere(stack, kafka, topics, token)


async def assert_token_stored_and_published_nowhere(
    stack: Stack, kafka: str, topics: TopicNames, token: str
) -> None:
    for service, url in stack.config.database_urls.items():
        conn = await asyncpg.connect(url)
        try:
            tables = [
                r["tablename"]
                for r in await conn.fetch(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                )
            ]
            for table in tables:
                dump = await conn.fetchval(
                    f"SELECT coalesce(string_agg(t::text, '\n'), '') FROM \"{table}\" t"
                )
                assert token not in dump, f"raw token found in {service}.{table}"
        finally:
            await conn.close()
    names = [
        topics.name(t)
        for t in (
            "onboarding.enrolment.v1",
            "onboarding.invitation.v1",
            "onboarding.notification.v1",
            "onboarding.registration.v1",
        )
    ]
    records = await read_topic(kafka, names, until=lambda rs: len(rs) >= 18 * 3 + 3)
    for record in records:
        assert token.encode() not in record.value
        assert all(token.encode() not in value for _, value in record.headers)


async def test_tenants_never_see_each_other(stack: Stack) -> None:
    async with admin(stack) as mine, admin(stack, OTHER_TENANT_KEY) as theirs:
        created = await mine.post(
            "/v1/enrolments",
            json={"email": "solo@example.org", "name": "Solo", "course": "toefl"},
        )
        assert created.status_code == 201, created.text
        enrolment_id = created.json()["id"]
        assert (await mine.get(f"/v1/enrolments/{enrolment_id}")).status_code == 200
        assert (await theirs.get(f"/v1/enrolments/{enrolment_id}")).status_code == 404
        assert (await theirs.get("/v1/funnel")).json()["enrolled"] == 0
    async with httpx.AsyncClient(base_url=stack.url("enrolment")) as anonymous:
        assert (await anonymous.get(f"/v1/enrolments/{enrolment_id}")).status_code == 401
        wrong = await anonymous.get("/v1/funnel", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401


async def test_of_many_concurrent_registrations_with_one_link_exactly_one_succeeds(
    stack: Stack,
) -> None:
    async with admin(stack) as client:
        created = await client.post(
            "/v1/enrolments", json={"email": "race@example.org", "name": "Race", "course": "ielts"}
        )
        assert created.status_code == 201
    await eventually(lambda: stack.mail(), timeout_s=60)
    token = link_for(stack, "race@example.org").split("token=")[1]

    async with httpx.AsyncClient(base_url=stack.url("registration"), timeout=60) as http:
        responses = await asyncio.gather(
            *(
                http.post(
                    "/v1/registrations",
                    json={
                        "token": token,
                        "first_name": "R",
                        "last_name": "Ace",
                        "username": f"racer{n}",
                        "password": "correct horse battery",
                    },
                )
                for n in range(8)
            )
        )
    codes = sorted(r.status_code for r in responses)
    assert codes == [201] + [410] * 7, [r.text for r in responses]
    conn = await asyncpg.connect(stack.config.database_urls["registration"])
    try:
        assert await conn.fetchval("SELECT count(*) FROM accounts") == 1, (
            "losers' usernames are released"
        )
    finally:
        await conn.close()
