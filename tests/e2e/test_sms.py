"""Texts, through the four services and the local SMS provider running as processes: people
enrolled with `channel=sms` get a text with a working link, the provider's signed status
callbacks mark it delivered (as the enrolment's list of messages shows), and a forged
callback is refused."""

import re

import httpx
import pytest
from onboarding_devtools.testing import eventually
from onboarding_devtools.testing.stack import RunningStack
from onboarding_kit.sms_text import sms_segments

pytestmark = pytest.mark.e2e

TENANT_KEY = "onb_e2e-sms-key-000000000000000000000"
PEOPLE = {"ada@example.org": "+447700900123", "bo@example.org": "+447700900456"}
LINK = re.compile(r"https?://\S+/join\?token=[\w-]+")


@pytest.fixture(autouse=True)
async def tenant(add_tenant) -> None:
    await add_tenant("e2e-sms", TENANT_KEY)


async def test_people_enrolled_by_sms_get_a_working_link_and_its_delivery_is_known(
    stack: RunningStack,
) -> None:
    async with stack.admin(TENANT_KEY) as client:
        enrolled = {}
        for address, phone in PEOPLE.items():
            response = await client.post(
                "/v1/enrolments",
                json={
                    "email": address,
                    "name": "Ada Lovelace",
                    "course": "ielts",
                    "channel": "sms",
                    "phone": phone,
                },
            )
            assert response.status_code == 201, response.text
            enrolled[address] = response.json()["id"]

        for phone in PEOPLE.values():
            await eventually(lambda phone=phone: stack.texts_to(phone), timeout_s=60)
        (text,) = stack.texts_to(PEOPLE["ada@example.org"])
        assert sms_segments(text["body"]) <= 2
        found = LINK.search(text["body"])
        assert found, text["body"]
        async with httpx.AsyncClient(timeout=30) as person:
            page = await person.get(found.group(0))
        assert page.status_code == 200 and "ada@example.org" in page.text

        async def delivered() -> list[dict]:
            answer = await client.get(f"/v1/enrolments/{enrolled['ada@example.org']}/notifications")
            assert answer.status_code == 200, answer.text
            items: list[dict] = answer.json()["items"]
            return [m for m in items if m["status"] == "delivered"]

        (message,) = await eventually(delivered, timeout_s=60)
        assert (message["channel"], message["kind"]) == ("sms", "invitation")
        assert message["provider_id"] == text["sid"]
        assert stack.mail_to("ada@example.org") == [], "a text, not an email"

    forged = {"MessageSid": text["sid"], "MessageStatus": "undelivered", "ErrorCode": "30003"}
    async with httpx.AsyncClient(base_url=stack.url("notification")) as callback:
        refused = await callback.post(
            "/v1/sms/status", data=forged, headers={"X-Twilio-Signature": "Zm9yZ2Vk"}
        )
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    async with stack.admin(TENANT_KEY) as client:
        still = await client.get(f"/v1/enrolments/{enrolled['ada@example.org']}/notifications")
        assert [m["status"] for m in still.json()["items"]] == ["delivered"]
        assert (await client.get(f"/v1/enrolments/{enrolled['ada@example.org']}")).json()[
            "status"
        ] == "invited"
