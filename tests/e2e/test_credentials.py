"""Credentials for people who skip the sign-up form (seed 003 option 2, seed 004 "Send
Initial Invitation"), through the four services running as processes: import without
inviting, send credentials, the person sets their password through the link, and the
welcome email gives their sign-in name (their email address), never a password."""

import asyncio

import httpx
import pytest
from onboarding_devtools.testing import eventually
from onboarding_devtools.testing.stack import RunningStack, hidden_fields

pytestmark = pytest.mark.e2e

TENANT_KEY = "onb_e2e-credentials-key-000000000000"
PASSWORD = "a long enough passphrase of mine"
QUIET_S = 2.0  # how long "no email yet" is watched for
CSV = "\n".join(
    [
        "name,email,id",
        "Ada Byron Lovelace,ada@example.org,S1",
        "Charles Babbage,charles@example.org,S2",
        "",
    ]
)


@pytest.fixture(autouse=True)
async def tenant(add_tenant) -> None:
    await add_tenant("e2e-credentials", TENANT_KEY)


def text_of(message) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    content: str = body.get_content()
    return content


async def status_of(client: httpx.AsyncClient, enrolment_id: str) -> str:
    found = await client.get(f"/v1/enrolments/{enrolment_id}")
    assert found.status_code == 200, found.text
    status: str = found.json()["status"]
    return status


async def test_imported_people_get_credentials_set_their_password_and_are_welcomed(
    stack: RunningStack,
) -> None:
    async with stack.admin(TENANT_KEY) as client:
        imported = await client.post(
            "/v1/imports",
            params={"course": "ielts", "invite": "manual"},
            content=CSV,
            headers={"content-type": "text/csv"},
        )
        assert imported.status_code == 201, imported.text
        import_id = imported.json()["id"]
        await asyncio.sleep(QUIET_S)
        assert stack.mail_to("ada@example.org") == [], "imported without inviting"

        sent = await client.post("/v1/enrolments:credentials", json={"import_id": import_id})
        assert sent.status_code == 202, sent.text
        assert sent.json() == {"requested": 2, "activated": 0, "unreachable": 0}
        (message,) = await eventually(lambda: stack.mail_to("ada@example.org"), timeout_s=60)
        await eventually(lambda: stack.mail_to("charles@example.org"), timeout_s=60)

        assert "set your password" in message["Subject"]
        text = text_of(message)
        assert "Your sign-in name: ada@example.org" in text
        link = stack.link_for("ada@example.org")
        async with httpx.AsyncClient(timeout=30) as person:
            form = await person.get(link)
            assert form.status_code == 200, form.text
            assert "Set your password" in form.text
            assert 'name="username" value="ada@example.org"' in form.text
            assert 'value="Ada Byron"' in form.text and 'value="Lovelace"' in form.text
            fields = hidden_fields(form.text)
            done = await person.post(
                f"{stack.url('registration')}/join",
                data={
                    **fields,
                    "first_name": "Ada Byron",
                    "last_name": "Lovelace",
                    "password": PASSWORD,
                },
            )
            assert done.status_code == 201, done.text
            again = await person.get(link)
            assert again.status_code == 410, "the link set the password once"

        (ada,) = [
            e
            for e in (await client.get("/v1/enrolments", params={"import_id": import_id})).json()[
                "items"
            ]
            if e["email"] == "ada@example.org"
        ]

        async def active() -> bool:
            return await status_of(client, ada["id"]) == "active"

        await eventually(active, timeout_s=30)
        (welcome,) = await eventually(
            lambda: stack.mail_to("ada@example.org", "welcome"), timeout_s=30
        )
        assert "Your username: ada@example.org" in text_of(welcome)
        for each in (message, welcome):
            assert PASSWORD not in each.as_string()
        assert await status_of(client, ada["id"]) == "active"
        funnel = (await client.get("/v1/funnel", params={"import_id": import_id})).json()
        assert (funnel["invited"], funnel["active"]) == (2, 1)  # invited: ever sent a link
