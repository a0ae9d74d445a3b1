"""A person joins in a real browser: the invitation email's link opened in Debian's
Chromium, the form filled in as a person would, with the live username check, an error next
to the field, and the welcome page. A screenshot of each step is kept
(`.run/artefacts/browser/<test>/`)."""

import html
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from onboarding_devtools.testing import eventually
from onboarding_devtools.testing.stack import RunningStack, hidden_fields
from playwright.async_api import ConsoleMessage, Page, expect

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

TENANT_KEY = "onb_browser-tenant-key-00000000000000"
COURSE = {"code": "bio101", "title": "Biology 101"}
STRONG_PASSWORD = "correct horse battery staple"
COMMON_PASSWORD = "1234567890"  # ten characters, and among the most common there are
HINT_TIMEOUT_MS = 10_000


@pytest.fixture(autouse=True)
async def tenant(add_tenant, stack: RunningStack) -> None:
    await add_tenant("browser", TENANT_KEY)
    async with stack.admin(TENANT_KEY) as client:
        created = await client.post("/v1/courses", json=COURSE)
        assert created.status_code == 201, created.text


async def invited(stack: RunningStack, email: str, name: str) -> str:
    """Enrol `email` into the course; the accept link of the invitation email it gets."""
    async with stack.admin(TENANT_KEY) as client:
        enrolled = await client.post(
            "/v1/enrolments", json={"email": email, "name": name, "course": COURSE["code"]}
        )
        assert enrolled.status_code == 201, enrolled.text
    await eventually(lambda: stack.mail_to(email), timeout_s=60)
    return stack.link_for(email)


async def register_by_api(stack: RunningStack, link: str, username: str) -> None:
    async with httpx.AsyncClient(base_url=stack.url("registration"), timeout=30) as http:
        done = await http.post(
            "/v1/registrations",
            json={
                "token": link.split("token=")[1],
                "first_name": "Grace",
                "last_name": "Hopper",
                "username": username,
                "password": STRONG_PASSWORD,
            },
        )
    assert done.status_code == 201, done.text


def csp_violations(page: Page) -> list[str]:
    """Console errors the page's Content-Security-Policy causes (a blocked script, say),
    collected from now on."""
    found: list[str] = []

    def seen(message: ConsoleMessage) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            found.append(message.text)

    page.on("console", seen)
    return found


async def submit(page: Page) -> int:
    """Press the form's button; the status of the page that answers."""
    async with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith("/join")
    ) as answer:
        await page.click("form button[type=submit]")
    response = await answer.value
    await page.wait_for_load_state()
    return response.status


async def test_a_person_joins_from_the_email_in_chromium(
    stack: RunningStack, page: Page, screenshots
) -> None:
    await register_by_api(
        stack, await invited(stack, "grace@example.org", "Grace Hopper"), "ada.lovelace"
    )
    link = await invited(stack, "ada@example.org", "Ada Lovelace")
    blocked = csp_violations(page)

    # The link from the email opens the form, the password rules shown before typing.
    opened = await page.goto(link)
    assert opened is not None and opened.status == 200
    await expect(page.locator("h1")).to_contain_text("Join Biology 101")
    for field in ("first_name", "middle_name", "last_name", "phone", "username", "password"):
        await expect(page.locator(f"[name={field}]")).to_be_visible()
    await expect(page.locator("#password-rules")).to_contain_text("10")
    await screenshots.take(page, "form")

    # A username someone registered already: the live hint says so before submitting.
    await page.fill("[name=first_name]", "Ada")
    await page.fill("[name=middle_name]", "King")
    await page.fill("[name=last_name]", "Lovelace")
    await page.fill("[name=phone]", "+447400123456")
    await page.fill("[name=username]", "ada.lovelace")
    await expect(page.locator("#username-status")).to_contain_text("taken", timeout=HINT_TIMEOUT_MS)
    await screenshots.take(page, "username-taken")

    await page.fill("[name=username]", "ada.king")
    await expect(page.locator("#username-status")).to_contain_text(
        "available", timeout=HINT_TIMEOUT_MS
    )
    await screenshots.take(page, "username-available")

    # A weak password: the error next to the field, every other value kept, not the password.
    await page.fill("[name=password]", COMMON_PASSWORD)
    assert await submit(page) == 422
    await expect(page.locator("#password-error")).to_be_visible()
    assert (await page.inner_text("#password-error")).strip()
    for field, value in {
        "first_name": "Ada",
        "middle_name": "King",
        "last_name": "Lovelace",
        "phone": "+447400123456",
        "username": "ada.king",
    }.items():
        await expect(page.locator(f"[name={field}]")).to_have_value(value)
    await expect(page.locator("[name=password]")).to_have_value("")
    assert COMMON_PASSWORD not in await page.content()
    await screenshots.take(page, "weak-password")

    # Fixed: registered, and the welcome page says so.
    await page.fill("[name=password]", STRONG_PASSWORD)
    assert await submit(page) == 201
    await expect(page.locator("h1")).to_contain_text("Welcome")
    await expect(page.locator("body")).to_contain_text("ada.king")
    await screenshots.take(page, "welcome")

    assert blocked == [], "the page's own script and styles pass its CSP"
    assert [p.name for p in screenshots.taken] == [
        "01-form.png",
        "02-username-taken.png",
        "03-username-available.png",
        "04-weak-password.png",
        "05-welcome.png",
    ]
    welcome = await eventually(lambda: stack.mail_to("ada@example.org", "welcome"), timeout_s=30)
    assert "ada.king" in welcome[0].get_body(preferencelist=("plain",)).get_content()


class OtherSite:
    """A page of another site that posts a form to `/join` as soon as it loads: served on
    `localhost`, a different site from `127.0.0.1` where the services are."""

    def __init__(self, page: bytes) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://localhost:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "OtherSite":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


async def test_a_cross_site_post_to_join_without_the_csrf_token_is_refused(
    stack: RunningStack, page: Page, screenshots
) -> None:
    link = await invited(stack, "eve.target@example.org", "Eve Target")
    token = link.split("token=")[1]
    join = f"{stack.url('registration')}/join"
    fields = {
        "token": token,
        "first_name": "Mallory",
        "last_name": "Forged",
        "username": "mallory",
        "password": STRONG_PASSWORD,
    }

    # Another site's page posting the form (even one that knows the link) has no CSRF token.
    inputs = "".join(
        f'<input type="hidden" name="{k}" value="{html.escape(v)}">' for k, v in fields.items()
    )
    forged = (
        f'<!doctype html><form id="f" method="post" action="{join}">{inputs}</form>'
        '<script>document.getElementById("f").submit()</script>'
    )
    with OtherSite(forged.encode()) as other_site:
        async with page.expect_response(lambda r: r.request.method == "POST") as answer:
            await page.goto(other_site.url)
        assert (await answer.value).status == 403
        await page.wait_for_load_state()
        await screenshots.take(page, "cross-site-post-refused")
        origin = other_site.url.rstrip("/")

    # Without a browser too: the same fields, without the token, from another origin.
    async with httpx.AsyncClient(timeout=30) as client:
        form = await client.get(link)
        assert form.status_code == 200
        assert "csrf_token" in hidden_fields(form.text)
        refused = await client.post(join, data=fields, headers={"Origin": origin})
        assert refused.status_code == 403, refused.text
        wrong = await client.post(join, data={**fields, "csrf_token": "forged"})
        assert wrong.status_code == 403, wrong.text

        # Nothing was used up: the link still opens the form, and the person can register.
        again = await client.get(link)
        assert again.status_code == 200 and 'name="password"' in again.text
        done = await client.post(
            join, data={**hidden_fields(again.text), **fields, "username": "eve.target"}
        )
        assert done.status_code == 201, done.text
