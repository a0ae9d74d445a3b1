"""The whole flow, through HTTP, Kafka, PostgreSQL and SMTP, with the four services running
as separate processes exactly as `make up` runs them."""

import asyncio
import email
import email.policy
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest
from enrolment.tenants import ensure_tenant
from onboarding_kit.devstack import (
    SERVICES,
    StackConfig,
    start_processes,
    stop_processes,
    wait_ready,
)
from onboarding_kit.kafka import TopicNames
from onboarding_kit.sealing import new_key
from onboarding_kit.testing import eventually, read_topic

pytestmark = pytest.mark.e2e

TENANT_KEY = "onb_e2e-tenant-key-0000000000000000"
OTHER_TENANT_KEY = "onb_e2e-other-tenant-key-000000000000"


@dataclass
class Stack:
    config: StackConfig

    def url(self, service: str) -> str:
        return self.config.url(service)

    def mail(self) -> list[Path]:
        return sorted(self.config.mail_dir.glob("*.eml"))


def _free_ports(count: int) -> list[int]:
    import socket

    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


@pytest.fixture
async def stack(
    new_database, kafka: str, topic_prefix: str, tmp_path: Path
) -> AsyncIterator[Stack]:
    ports = _free_ports(5)
    config = StackConfig(
        run_dir=tmp_path,
        database_urls={service: await new_database() for service in SERVICES},
        kafka_bootstrap_servers=kafka,
        invitation_link_key=new_key(),
        internal_api_token="e2e-internal-token-0123456789",
        ports=dict(zip(SERVICES, ports, strict=False)),
        smtp_port=ports[4],
        topic_prefix=topic_prefix,
    )
    processes = start_processes(config)
    try:
        await wait_ready(config, processes, timeout_s=90)
        await ensure_tenant(config.database_urls["enrolment"], "e2e", TENANT_KEY)
        await ensure_tenant(config.database_urls["enrolment"], "other", OTHER_TENANT_KEY)
        for key in (TENANT_KEY, OTHER_TENANT_KEY):
            async with admin(Stack(config), key) as client:
                for course in ("ielts", "toefl"):
                    created = await client.post("/v1/courses", json={"code": course})
                    assert created.status_code == 201, created.text
        yield Stack(config)
    finally:
        stop_processes(processes)


def admin(stack: Stack, key: str = TENANT_KEY) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=stack.url("enrolment"), headers={"Authorization": f"Bearer {key}"}, timeout=30
    )


def link_for(stack: Stack, recipient: str) -> str:
    for path in stack.mail():
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if recipient in message["To"]:
            text = message.get_body(preferencelist=("plain",)).get_content()
            html = message.get_body(preferencelist=("html",)).get_content()
            link = re.search(r"http://\S+/join\?token=[\w-]+", text).group(0)
            assert link.replace("&", "&amp;") in html
            return link
    raise AssertionError(f"no email to {recipient}")


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
