"""What the endpoint tests share: the tenants' keys and small clients of the API."""

import csv
import io
import json
from collections.abc import Callable
from typing import Any

import httpx
from onboarding_contracts import Topic
from onboarding_devtools.testing import read_topic
from onboarding_kit.kafka import TopicNames
from onboarding_kit.problems import PROBLEM_JSON

KEY = "onb_endpoints-test-key-00000000000000"
OTHER_KEY = "onb_endpoints-other-key-0000000000000"
OTHER = {"Authorization": f"Bearer {OTHER_KEY}"}

EXPORT_HEADER = [
    "id", "email", "name", "external_id", "role", "course", "cohort", "phone", "channel",
    "status", "import_id", "invited_at", "emailed_at", "registered_at", "activated_at",
    "created_at",
]  # fmt: skip


def refused_field(response: httpx.Response) -> str:
    """The one field a 422 problem names."""
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    [error] = response.json()["errors"]
    field: str = error["field"]
    return field


async def enrol(client: httpx.AsyncClient, email: str, name: str = "", **fields: Any) -> dict:
    body = {"email": email, "name": name or email.split("@")[0], "course": "ielts", **fields}
    response = await client.post("/v1/enrolments", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def set_policy(client: httpx.AsyncClient, policy: str) -> None:
    response = await client.put("/v1/settings", json={"invite_policy": policy})
    assert response.status_code == 200, response.text


def post_csv(
    client: httpx.AsyncClient, body: str | bytes, course: str = "ielts", **params: str
) -> Any:
    return client.post(
        "/v1/imports",
        params={"course": course, **params},
        content=body.encode() if isinstance(body, str) else body,
        headers={"content-type": "text/csv"},
    )


async def enrolment_events(
    kafka: str, topics: TopicNames, until: Callable[[list[dict]], bool]
) -> list[dict]:
    """Every event on the (prefixed) enrolment topic, decoded, once `until` holds."""
    records = await read_topic(
        kafka,
        [topics.name(Topic.ENROLMENT)],
        until=lambda rs: until([json.loads(r.value) for r in rs]),
    )
    return [json.loads(r.value) for r in records]


def of_type(events: list[dict], suffix: str) -> list[dict]:
    return [e for e in events if e["type"] == f"onboarding.enrolment.{suffix}"]


def parse_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


async def list_all(client: httpx.AsyncClient, **params: Any) -> list[dict]:
    response = await client.get("/v1/enrolments", params={"limit": 1000, **params})
    assert response.status_code == 200, response.text
    assert response.json()["next_cursor"] is None
    return response.json()["items"]
