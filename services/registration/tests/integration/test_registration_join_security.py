"""The join page's live username check and its security, with the real invitation service
behind it: availability (and its rates), the CSRF token a cross-site post lacks, the
security headers, and the link's token in no log line."""

import logging
from dataclasses import replace

import pytest
from onboarding_kit.logs import JsonFormatter
from registration.api.headers import SECURITY_HEADERS
from registration.limits import PublicLimits

from .stack import PASSWORD, Stack

pytestmark = pytest.mark.integration


async def test_a_username_is_checked_in_the_tenant_of_the_link(stack: Stack) -> None:
    first, second = await stack.invite(), await stack.invite()
    assert (await stack.register(first.token, username="grace")).status_code == 201

    async def check(name: str, token: str = second.token) -> dict:
        answer = await stack.client.get(
            f"/v1/usernames/{name}/availability", params={"token": token}
        )
        assert answer.status_code == 200, answer.text
        body: dict = answer.json()
        return body

    assert await check("Grace") == {"username": "grace", "status": "taken"}
    assert await check("grace.h") == {"username": "grace.h", "status": "available"}
    invalid = await check("x!")
    assert invalid["status"] == "invalid" and "3 to 32 characters" in invalid["reason"]

    unknown = await stack.client.get(
        "/v1/usernames/grace.h/availability", params={"token": "no-such-token"}
    )
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    used = await stack.client.get(
        "/v1/usernames/grace.h/availability", params={"token": first.token}
    )
    assert used.status_code == 410 and used.json()["reason"] == "used"


async def test_username_checks_are_rate_limited_per_link_and_per_client(stack: Stack) -> None:
    invited, other = await stack.invite(), await stack.invite()
    app = stack.registration_app
    working = app.state.dependencies
    tight = working.settings.model_copy(
        update={"username_checks_per_minute_per_link": 3, "username_checks_per_minute_per_ip": 5}
    )
    app.state.dependencies = replace(working, limits=PublicLimits.from_settings(tight))
    try:
        answers = [
            await stack.client.get(f"/v1/usernames/ada{n}/availability", params={"token": t})
            for n, t in enumerate([invited.token] * 4 + [other.token] * 3)
        ]
    finally:
        app.state.dependencies = working
    assert [a.status_code for a in answers] == [200, 200, 200, 429, 200, 429, 429]
    for refused in (answers[3], answers[5]):  # the link's 4th; then the client's 6th
        assert refused.headers["content-type"] == "application/problem+json"
        assert int(refused.headers["retry-after"]) >= 1


async def test_a_cross_site_post_without_the_csrf_token_is_refused(stack: Stack) -> None:
    invited = await stack.invite()
    form = {
        "token": invited.token,
        "first_name": "Mallory",
        "last_name": "Forged",
        "username": "mallory",
        "password": PASSWORD,
    }
    cross_site = {"origin": "https://elsewhere.example", "sec-fetch-site": "cross-site"}

    forged = await stack.client.post("/join", data=form, headers=cross_site)

    assert forged.status_code == 403
    assert forged.headers["content-type"].startswith("text/html")
    assert "This form cannot be accepted" in forged.text
    assert await stack.accounts() == []
    hidden = await stack.join_form(invited.token)
    with_token = await stack.client.post("/join", data={**form, **hidden}, headers=cross_site)
    assert with_token.status_code == 403, "nor from another site, even with the token"
    assert await stack.accounts() == []

    ours = await stack.client.post(
        "/join", data={**form, **hidden}, headers={"sec-fetch-site": "same-origin"}
    )
    assert ours.status_code == 201, "the link was not burned"


async def test_every_answer_has_the_security_headers(stack: Stack) -> None:
    invited = await stack.invite()
    hidden = await stack.join_form(invited.token)
    answers = [
        await stack.client.get("/join", params={"token": invited.token}),
        await stack.client.get("/join", params={"token": "no-such-token"}),
        await stack.client.post("/join", data={"token": invited.token}),
        await stack.client.post("/join", data={**hidden, "password": "short"}),
        await stack.client.get("/v1/usernames/ada/availability", params={"token": invited.token}),
        await stack.register("no-such-token"),
        await stack.register(invited.token),
        await stack.client.get("/static/join.js"),
    ]
    assert [a.status_code for a in answers] == [200, 404, 403, 422, 200, 404, 201, 200]
    for answer in answers:
        for name, value in SECURITY_HEADERS.items():
            assert answer.headers.get(name) == value, (answer.request.url.path, name)


async def test_the_links_token_is_in_no_log_line(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    invited = await stack.invite()
    caplog.set_level(logging.DEBUG)

    hidden = await stack.join_form(invited.token)
    await stack.client.get("/v1/usernames/ada/availability", params={"token": invited.token})
    await stack.client.post("/join", data={"token": invited.token})  # refused: no CSRF
    await stack.client.post("/join", data={**hidden, "password": "short"})
    form = {**hidden, "first_name": "Ada", "last_name": "L", "username": "ada.l"}
    done = await stack.client.post("/join", data={**form, "password": PASSWORD})
    assert done.status_code == 201

    # Every record as the service writes it (JSON with its extra fields); the test's own
    # HTTP client logs the URLs it asks for, tokens included: that line is not the
    # service's, and is left out.
    formatter = JsonFormatter("registration")
    lines = [
        formatter.format(r)
        for r in caplog.records
        if not (r.name.startswith("httpx") and "http://service/" in r.getMessage())
    ]
    assert lines, "the service logged something"
    assert not [line for line in lines if invited.token in line]
    assert not [line for line in lines if hidden["csrf_token"] in line]
