"""The page of a dead link, with the real invitation service behind it: an old link's page
says it was replaced and, when the tenant allows it, offers "Send me a new link"; the
button's form sends one (or says why not); the new link registers."""

import re
from datetime import timedelta

import httpx
import pytest
from onboarding_contracts.events import LinkPolicy
from onboarding_contracts.internal.invitations import PREFIX, RESEND_PATH, TOKEN_HEADER

from .stack import INTERNAL_TOKEN, Invited, Stack, csrf_for

pytestmark = pytest.mark.integration

BUTTON = '<form method="post" action="/join/new-link">'
HIDDEN_TOKEN = re.compile(r'<input type="hidden" name="token" value="([^"]*)">')
HIDDEN_CSRF = re.compile(r'<input type="hidden" name="csrf_token" value="([^"]*)">')


async def resend(stack: Stack, invited: Invited, policy: LinkPolicy) -> httpx.Response:
    """An admin's resend, as the enrolment service asks for it."""
    transport = httpx.ASGITransport(app=stack.invitation_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://invitation") as client:
        return await client.post(
            PREFIX + RESEND_PATH,
            json={
                "tenant_id": invited.event.tenant_id,
                "enrolment_id": invited.event.data.enrolment_id,
                "link_policy": policy.model_dump(),
            },
            headers={TOKEN_HEADER: INTERNAL_TOKEN},
        )


async def test_a_replaced_links_page_offers_a_new_link_that_registers(stack: Stack) -> None:
    policy = LinkPolicy(self_service_resend=True)
    invited = await stack.invite(link_policy=policy)
    enrolment_id = invited.event.data.enrolment_id
    email = invited.event.data.email
    assert (await resend(stack, invited, policy)).status_code == 200

    page = await stack.client.get("/join", params={"token": invited.token})
    assert page.status_code == 410
    assert page.headers["content-type"].startswith("text/html")
    assert "most recent message" in page.text
    assert BUTTON in page.text
    assert HIDDEN_TOKEN.findall(page.text) == [invited.token]
    assert email not in page.text
    [csrf_token] = HIDDEN_CSRF.findall(page.text)
    button = {"token": invited.token, "csrf_token": csrf_token}

    # The form as a browser without JavaScript sends it: a link was sent moments ago.
    too_soon = await stack.client.post("/join/new-link", data=button)
    assert too_soon.status_code == 409
    assert "We could not send a new link" in too_soon.text
    assert "10 minutes" in too_soon.text

    stack.invitation_clock.offset = timedelta(minutes=11)
    sent = await stack.client.post("/join/new-link", data=button)
    assert sent.status_code == 202
    assert "A new link is on its way" in sent.text
    assert email not in sent.text

    newest = stack.token_of(await stack.link_sent(enrolment_id, send_count=3))
    second = stack.token_of(await stack.link_sent(enrolment_id, send_count=2))
    replaced = await stack.client.get("/join", params={"token": second})
    assert replaced.status_code == 410 and "most recent message" in replaced.text
    assert (await stack.register(newest)).status_code == 201

    used = await stack.client.get("/join", params={"token": invited.token})
    assert used.status_code == 410
    assert "already been used" in used.text
    assert BUTTON not in used.text
    again = await stack.client.post("/join/new-link", data=button)
    assert again.status_code == 410 and "already been used" in again.text


async def test_an_expired_links_page_offers_nothing_the_tenant_does_not_allow(
    stack: Stack,
) -> None:
    invited = await stack.invite()  # the default policy: people may not ask
    stack.invitation_clock.offset = timedelta(hours=25)
    page = await stack.client.get("/join", params={"token": invited.token})
    assert page.status_code == 410
    assert "expired" in page.text and "administrator" in page.text
    assert BUTTON not in page.text
    # Without a button to take a CSRF token from, a post is refused before it is judged;
    # with the token (as the button would carry it), the tenant's policy refuses it.
    forged = await stack.client.post("/join/new-link", data={"token": invited.token})
    assert forged.status_code == 403
    button = {"token": invited.token, "csrf_token": csrf_for(stack, invited.token)}
    refused = await stack.client.post("/join/new-link", data=button)
    assert refused.status_code == 409
    assert "ask your administrator" in refused.text
