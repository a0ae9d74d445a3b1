"""The public routes' limits over the fakes: rates per client and per link answer 429 with
`Retry-After` (problem+json for programs, a page for people), and a body over the limit is
refused with 413 before it has been read."""

import hashlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from onboarding_contracts.internal.invitations import LinkRefusal
from registration.app import create_app
from registration.limits import MAX_BODY_BYTES, client_key

from .conftest import with_csrf

FORM = {
    "token": "tok",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "username": "ada",
    "password": "correct horse battery staple",
}


class Service:
    """The app over the fakes, with some settings changed; a client per IP address."""

    def __init__(self, fakes: Any, **settings: Any) -> None:
        self.deps = fakes.dependencies(**settings)
        self.app = create_app(self.deps.settings, invitations=fakes.invitations)
        self.app.state.dependencies = self.deps  # the in-memory store
        self.clients: list[httpx.AsyncClient] = []

    def client(self, ip: str = "203.0.113.7") -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.app, client=(ip, 40000))
        self.clients.append(httpx.AsyncClient(transport=transport, base_url="http://reg"))
        return self.clients[-1]


Start = Callable[..., Service]


@pytest.fixture
async def service(fakes) -> AsyncIterator[Start]:
    """`service(**settings)`; its links are refused as unknown, quickly."""
    fakes.invitations.refusal = LinkRefusal.UNKNOWN
    started: list[Service] = []

    def start(**settings: Any) -> Service:
        started.append(Service(fakes, **settings))
        return started[-1]

    yield start
    for each in started:
        for http in each.clients:
            await http.aclose()


def assert_too_many(answer: httpx.Response, content_type: str) -> None:
    assert answer.status_code == 429, answer.text
    assert answer.headers["content-type"].startswith(content_type)
    assert 1 <= int(answer.headers["retry-after"]) <= 60


async def test_the_eleventh_try_of_one_link_in_a_minute_is_refused(service: Start) -> None:
    http = service().client()
    for _ in range(10):
        assert (await http.post("/v1/registrations", json=FORM)).status_code == 404

    refused = await http.post("/v1/registrations", json=FORM)

    assert_too_many(refused, "application/problem+json")
    assert refused.json()["status"] == 429
    assert int(refused.headers["retry-after"]) == 6, "one more try every 6 s"
    other_link = await http.post("/v1/registrations", json={**FORM, "token": "tok-2"})
    assert other_link.status_code == 404, "another link is not affected"
    page = await http.post("/join", data=with_csrf("join", FORM))
    assert_too_many(page, "text/html")
    assert "try again" in page.text


async def test_a_link_is_counted_by_its_hash_only(service: Start) -> None:
    registration = service()
    await registration.client().post("/v1/registrations", json={**FORM, "token": " tok-secret "})
    link_attempts = registration.deps.limits.link_attempts
    assert hashlib.sha256(b"tok-secret").digest() in link_attempts
    assert "tok-secret" not in link_attempts
    assert len(link_attempts) == 1


async def test_submissions_are_limited_per_client(service: Start) -> None:
    registration = service(submissions_per_minute_per_ip=3)
    http = registration.client()
    for n in range(3):
        form = with_csrf("join", {**FORM, "token": f"tok-{n}"})
        assert (await http.post("/join", data=form)).status_code == 404
    # The limit counts every request, valid or not, on both routes.
    assert_too_many(await http.post("/v1/registrations", json={}), "application/problem+json")
    assert_too_many(await http.post("/join", data=with_csrf("join", FORM)), "text/html")
    neighbour = registration.client(ip="203.0.113.8")
    assert (await neighbour.post("/v1/registrations", json=FORM)).status_code == 404


async def test_the_join_page_is_limited_per_client(service: Start) -> None:
    http = service(page_views_per_minute_per_ip=2).client()
    for n in range(2):
        assert (await http.get("/join", params={"token": f"tok-{n}"})).status_code == 404
    refused = await http.get("/join", params={"token": "tok-3"})
    assert_too_many(refused, "text/html")
    assert "Please try again shortly" in refused.text
    assert (await http.post("/join", data=with_csrf("join", FORM))).status_code == 404, (
        "submissions apart"
    )


def test_a_client_is_its_address_or_its_ipv6_64() -> None:
    assert client_key("203.0.113.7") == "203.0.113.7"
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:bbbb::9")
    assert client_key("2001:db8:1:2::1") == "2001:db8:1:2::/64"
    assert client_key("2001:db8:1:3::1") != client_key("2001:db8:1:2::1")
    assert client_key("::ffff:203.0.113.7") == "203.0.113.7"
    assert client_key(None) == "unknown"


class Chunks:
    """A request body sent in chunks, without a Content-Length; counts what was taken."""

    def __init__(self, total: int, size: int = 1024) -> None:
        self.total, self.size, self.taken = total, size, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(self.total // self.size):
            self.taken += self.size
            yield b"a" * self.size


async def test_an_oversized_chunked_body_is_refused_once_over_the_limit(
    service: Start, fakes
) -> None:
    http = service().client()
    body = Chunks(total=10 * 1024 * 1024)
    headers = {"content-type": "application/json"}

    refused = await http.post("/v1/registrations", content=body, headers=headers)

    assert refused.status_code == 413
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["status"] == 413
    assert body.taken <= MAX_BODY_BYTES + body.size, "not read beyond the limit"
    form = Chunks(total=10 * 1024 * 1024)
    headers = {"content-type": "application/x-www-form-urlencoded"}
    page = await http.post("/join", content=form, headers=headers)
    assert page.status_code == 413
    assert page.headers["content-type"].startswith("text/html")
    assert "too large" in page.text
    assert form.taken <= MAX_BODY_BYTES + form.size
    assert fakes.invitations.calls == []


async def test_a_body_declared_too_large_is_refused_unread(service: Start) -> None:
    http = service().client()
    for path, content_type in (
        ("/v1/registrations", "application/problem+json"),
        ("/join", "text/html"),
    ):
        body = Chunks(total=64 * 1024)
        headers = {"content-length": str(64 * 1024), "content-type": "application/json"}
        refused = await http.post(path, content=body, headers=headers)
        assert refused.status_code == 413
        assert refused.headers["content-type"].startswith(content_type)
        assert body.taken == 0


async def test_a_body_at_the_limit_is_read(service: Start) -> None:
    http = service().client()
    padded = {**FORM, "padding": "x" * (MAX_BODY_BYTES - 200)}
    assert len(httpx.Request("POST", "/", json=padded).content) <= MAX_BODY_BYTES
    assert (await http.post("/v1/registrations", json=padded)).status_code == 404


async def test_the_openapi_document_names_the_limits(service: Start) -> None:
    http = service().client()
    document = (await http.get("/openapi.json")).json()
    responses = document["paths"]["/v1/registrations"]["post"]["responses"]
    for status in ("413", "429"):
        assert set(responses[status]["content"]) == {"application/problem+json"}
    assert responses["429"]["headers"]["Retry-After"]["required"] is True


async def test_requests_for_a_new_link_are_limited_per_client(service: Start, fakes) -> None:
    fakes.invitations.refusal = LinkRefusal.EXPIRED
    registration = service(new_links_per_minute_per_ip=2)
    http = registration.client()
    for n in range(2):
        sent = await http.post("/join/new-link", data=with_csrf("new-link", {"token": f"tok-{n}"}))
        assert sent.status_code == 202
    refused = await http.post("/join/new-link", data=with_csrf("new-link", {"token": "tok-3"}))
    assert_too_many(refused, "text/html")
    assert fakes.invitations.new_links == ["tok-0", "tok-1"], "the third was never forwarded"
    neighbour = registration.client(ip="203.0.113.8")
    assert (
        await neighbour.post("/join/new-link", data=with_csrf("new-link", {"token": "tok-4"}))
    ).status_code == 202
    assert (await http.post("/join", data=with_csrf("join", FORM))).status_code == 410, (
        "submissions apart"
    )
