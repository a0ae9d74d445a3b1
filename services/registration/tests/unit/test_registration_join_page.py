"""The join page over the fakes: its fields (exact names, errors next to each, values
kept, never the password), the password rules before the password, the course's title;
the CSRF token its forms need; the security headers of every answer."""

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from onboarding_contracts.events import LinkPolicy
from onboarding_contracts.internal.invitations import LinkRefusal
from registration.api.headers import CONTENT_SECURITY_POLICY
from registration.app import create_app
from registration.csrf import CsrfTokens
from registration.settings import RegistrationSettings

from .conftest import with_csrf

PASSWORD = "correct horse battery staple"
FORM = {"token": "tok", "first_name": "Ada", "last_name": "Lovelace", "username": "ada"}
SECURITY_HEADERS = {
    "cache-control": "no-store",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
    "content-security-policy": CONTENT_SECURITY_POLICY,
}
INPUT_NAMES = re.compile(r'<input[^>]* name="([^"]+)"')


@pytest.fixture
async def http(fakes) -> AsyncIterator[httpx.AsyncClient]:
    deps = fakes.dependencies()
    app = create_app(deps.settings, invitations=fakes.invitations)
    app.state.dependencies = deps  # the in-memory store
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://registration") as client:
        yield client


def csrf_of(page: httpx.Response) -> str:
    [token] = re.findall(r'name="csrf_token" value="([^"]+)"', page.text)
    return token


async def test_the_form_has_the_fields_of_the_spec_and_the_rules_before_the_password(
    http: httpx.AsyncClient, fakes
) -> None:
    fakes.invitations.link = fakes.invitations.link.model_copy(
        update={"course_title": "IELTS Academic <Prep>", "phone": "+442079460958"}
    )
    page = await http.get("/join", params={"token": "tok"})
    assert page.status_code == 200
    assert "<title>Join IELTS Academic &lt;Prep&gt;</title>" in page.text
    assert "<h1>Join IELTS Academic &lt;Prep&gt;</h1>" in page.text
    assert INPUT_NAMES.findall(page.text) == [
        "token",
        "csrf_token",
        "first_name",
        "middle_name",
        "last_name",
        "phone",
        "username",
        "password",
    ]
    assert 'value="+44 20 7946 0958"' in page.text, "the phone on file, to confirm"
    rules = page.text.index('<p class="hint" id="password-rules">At least 10 characters.')
    assert rules < page.text.index('id="password"'), "the rules come before the field"
    assert '<p class="username-status" id="username-status"' in page.text
    assert '<script src="/static/join.js" defer></script>' in page.text
    assert 'class="field-error"' not in page.text, "no errors before any were made"


async def test_errors_are_next_to_each_field_and_values_are_kept(
    http: httpx.AsyncClient,
) -> None:
    form = {
        **FORM,
        "middle_name": "Augusta",
        "phone": "020 7946 0958",
        "password": "qwertyuiop",
    }
    page = await http.post("/join", data=with_csrf("join", form))
    assert page.status_code == 422
    assert re.search(
        r'<p class="field-error" id="phone-error">enter the number in international format',
        page.text,
    )
    assert (
        '<p class="field-error" id="password-error">this is one of the most common '
        "passwords: choose another</p>"
    ) in page.text
    for kept in ("Ada", "Augusta", "Lovelace", "020 7946 0958", "ada"):
        assert f'value="{kept}"' in page.text
    assert "qwertyuiop" not in page.text, "a password is never echoed"
    assert 'aria-describedby="password-rules password-error" aria-invalid="true"' in page.text
    assert page.text.count('class="field-error"') == 2


async def test_a_registered_person_is_welcomed_with_what_comes_next(
    http: httpx.AsyncClient, fakes
) -> None:
    fakes.invitations.link = fakes.invitations.link.model_copy(
        update={"course_title": "IELTS Academic"}
    )
    welcome = await http.post("/join", data=with_csrf("join", {**FORM, "password": PASSWORD}))
    assert welcome.status_code == 201
    assert "Welcome, ada" in welcome.text
    assert "<strong>IELTS Academic</strong> is waiting" in welcome.text
    assert "administrator" not in welcome.text


async def test_with_usernames_from_email_there_is_no_username_to_choose(
    http: httpx.AsyncClient, fakes
) -> None:
    link = fakes.invitations.link
    fakes.invitations.link = link.model_copy(
        update={"link_policy": LinkPolicy(username_source="email")}
    )
    page = await http.get("/join", params={"token": "tok"})
    assert 'id="username"' not in page.text and "username-status" not in page.text
    assert f'<input type="hidden" name="username" value="{link.email}">' in page.text
    assert f"Your username is your email address: <strong>{link.email}</strong>" in page.text

    form = {**FORM, "username": "someone-else", "password": PASSWORD}
    welcome = await http.post("/join", data={**form, "csrf_token": csrf_of(page)})
    assert welcome.status_code == 201
    assert f"Welcome, {link.email}" in welcome.text
    [held] = fakes.tx.accounts.reserved.values()
    assert held.username == link.email


async def test_a_post_without_the_csrf_token_of_its_page_is_refused(
    http: httpx.AsyncClient, fakes
) -> None:
    page = await http.get("/join", params={"token": "tok"})
    good = {**FORM, "password": PASSWORD, "csrf_token": csrf_of(page)}
    for forged in (
        {**good, "csrf_token": ""},
        {k: v for k, v in good.items() if k != "csrf_token"},
        {**good, "csrf_token": with_csrf("join", {"token": "another-link"})["csrf_token"]},
        {**good, "csrf_token": with_csrf("new-link", {"token": "tok"})["csrf_token"]},
        {**good, "csrf_token": "é" + good["csrf_token"][1:]},
    ):
        refused = await http.post("/join", data=forged)
        assert refused.status_code == 403
        assert refused.headers["content-type"].startswith("text/html")
        assert "This form cannot be accepted" in refused.text
    assert fakes.tx.accounts.reserved == {}, "nothing of a refused form was used"
    assert (await http.post("/join", data=good)).status_code == 201


async def test_a_post_from_another_site_is_refused_even_with_the_token(
    http: httpx.AsyncClient, fakes
) -> None:
    form = with_csrf("join", {**FORM, "password": PASSWORD})
    for site in ("cross-site", "same-site"):
        refused = await http.post("/join", data=form, headers={"sec-fetch-site": site})
        assert refused.status_code == 403
    assert fakes.tx.accounts.reserved == {}
    ours = await http.post("/join", data=form, headers={"sec-fetch-site": "same-origin"})
    assert ours.status_code == 201


async def test_the_new_link_form_needs_its_own_token(http: httpx.AsyncClient, fakes) -> None:
    fakes.invitations.refusal = LinkRefusal.EXPIRED
    fakes.invitations.new_link_allowed = True
    page = await http.get("/join", params={"token": "tok"})
    token = csrf_of(page)
    assert token == with_csrf("new-link", {"token": "tok"})["csrf_token"]
    forged = await http.post("/join/new-link", data={"token": "tok"})
    assert forged.status_code == 403
    assert fakes.invitations.new_links == [], "not forwarded"
    sent = await http.post("/join/new-link", data={"token": "tok", "csrf_token": token})
    assert sent.status_code == 202


def test_every_replica_accepts_the_tokens_of_every_other() -> None:
    """The key is derived from INTERNAL_API_TOKEN, which every replica shares, unless
    CSRF_SECRET gives one: never made up per process."""

    def tokens(**settings: str) -> CsrfTokens:
        given = RegistrationSettings(database_url="postgresql://unused/unused", **settings)
        return CsrfTokens.from_settings(given)

    one, other = tokens(internal_api_token="s" * 20), tokens(internal_api_token="s" * 20)
    assert one.issue("join", "tok") == other.issue("join", "tok")
    assert one.key != b"s" * 20, "the derived key is not the internal token itself"
    assert tokens(internal_api_token="z" * 20).issue("join", "tok") != one.issue("join", "tok")
    secret = tokens(internal_api_token="s" * 20, csrf_secret="k" * 32)
    assert secret.key == b"k" * 32
    assert secret.issue("join", "tok") != one.issue("join", "tok")


async def test_every_answer_has_the_security_headers(http: httpx.AsyncClient, fakes) -> None:
    answers = [
        await http.get("/join", params={"token": "tok"}),
        await http.post("/join", data={"token": "tok"}),  # the 403 page
        await http.post("/v1/registrations", json={"token": "tok"}),  # a problem
        await http.get("/v1/usernames/ada/availability", params={"token": "tok"}),
        await http.get("/static/join.js"),
        await http.get("/healthz"),
    ]
    fakes.invitations.down = True
    answers.append(await http.get("/join", params={"token": "tok"}))  # 503 page
    for answer in answers:
        for name, value in SECURITY_HEADERS.items():
            assert answer.headers.get(name) == value, (answer.request.url, name)


async def test_the_pages_style_and_script_are_files_the_policy_allows(
    http: httpx.AsyncClient,
) -> None:
    page = await http.get("/join", params={"token": "tok"})
    assert "<style" not in page.text and " style=" not in page.text
    assert re.findall(r"<script[^>]*>", page.text) == ['<script src="/static/join.js" defer>'], (
        "no inline script"
    )
    script = await http.get("/static/join.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert "/availability?token=" in script.text
    style = await http.get("/static/join.css")
    assert style.status_code == 200 and style.headers["content-type"].startswith("text/css")


async def test_with_activation_by_hand_the_welcome_says_what_happens_next(
    http: httpx.AsyncClient, fakes
) -> None:
    link = fakes.invitations.link
    fakes.invitations.link = link.model_copy(update={"link_policy": LinkPolicy(activation="admin")})
    welcome = await http.post("/join", data=with_csrf("join", {**FORM, "password": PASSWORD}))
    assert welcome.status_code == 201
    assert "An administrator will activate it" in welcome.text
    assert f"we will email <strong>{link.email}</strong>" in welcome.text
    assert "Your account is ready" not in welcome.text
