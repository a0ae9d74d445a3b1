"""The local SMS provider, over real HTTP: Twilio's Messages API, the texts it keeps, and its
signed status callbacks (received by a small server of the test's own)."""

import json
import logging
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from onboarding_devtools.sms_provider import ProviderConfig, create_app, serve_app
from onboarding_devtools.testing import eventually as until
from onboarding_kit.twilio_signature import SIGNATURE_HEADER, signature_matches

ACCOUNT = "AC" + "0" * 32
TOKEN = "the-auth-token"
TO = "+447700900123"
SENDER = "+15005550006"
MESSAGES = f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"


@dataclass
class Received:
    url: str
    params: dict[str, str]
    signature: str


@dataclass
class CallbackReceiver:
    """Records every status callback; answers the first `failures` of them with a 500.
    `status_of(sid)`, when set, is asked as each callback arrives (into `seen`)."""

    url: str = ""
    calls: list[Received] = field(default_factory=list)
    failures: int = 0
    status_of: Callable[[str], str] | None = None
    seen: list[str] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/status")
        async def status(request: Request) -> Response:
            params = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
            signature = request.headers.get(SIGNATURE_HEADER, "")
            self.calls.append(Received(str(request.url), params, signature))
            if self.status_of:
                self.seen.append(self.status_of(params["MessageSid"]))
            if self.failures:
                self.failures -= 1
                return Response(status_code=500)
            return Response(status_code=204)

        return app

    def statuses(self) -> list[str]:
        return [call.params["MessageStatus"] for call in self.calls]


@dataclass
class Provider:
    url: str
    config: ProviderConfig
    http: httpx.AsyncClient

    async def send(
        self, form: dict[str, str], *, auth: tuple[str, str] = (ACCOUNT, TOKEN)
    ) -> httpx.Response:
        return await self.http.post(f"{self.url}{MESSAGES}", data=form, auth=auth)

    def stored(self, sid: str) -> dict[str, Any]:
        document: dict[str, Any] = json.loads((self.config.directory / f"{sid}.json").read_text())
        return document

    def files(self) -> list[Path]:
        return sorted(self.config.directory.iterdir())


async def eventually(condition: Callable[[], bool]) -> None:
    await until(condition, timeout_s=5, interval_s=0.01)


@asynccontextmanager
async def running(config: ProviderConfig) -> AsyncIterator[Provider]:
    async with serve_app(create_app(config)) as url, httpx.AsyncClient(timeout=5) as http:
        yield Provider(url, config, http)


@pytest.fixture
def config(tmp_path: Path) -> ProviderConfig:
    return ProviderConfig(
        directory=tmp_path / "sms",
        account_sid=ACCOUNT,
        auth_token=TOKEN,
        status_delay_s=0.01,
        callback_backoff_s=0.01,
    )


@pytest.fixture
async def provider(config: ProviderConfig) -> AsyncIterator[Provider]:
    async with running(config) as provider:
        yield provider


@pytest.fixture
async def receiver() -> AsyncIterator[CallbackReceiver]:
    receiver = CallbackReceiver()
    async with serve_app(receiver.app()) as url:
        receiver.url = f"{url}/status?tenant=t-1"  # a query string is signed too
        yield receiver


def text(to: str = TO, **more: str) -> dict[str, str]:
    return {
        "To": to,
        "From": SENDER,
        "Body": "Join Biology 101: https://join.example.org/a",
        **more,
    }


async def test_an_accepted_text_is_answered_as_twilio_and_kept_in_its_file(
    provider: Provider,
) -> None:
    response = await provider.send(text())
    assert response.status_code == 201
    message = response.json()
    assert re.fullmatch(r"SM[0-9a-f]{32}", message["sid"])
    assert message["status"] == "queued"
    assert message["to"] == TO and message["from"] == SENDER and message["account_sid"] == ACCOUNT
    assert message["body"] == text()["Body"]
    assert message["num_segments"] == "1"
    assert message["uri"] == f"/2010-04-01/Accounts/{ACCOUNT}/Messages/{message['sid']}.json"
    assert message["date_created"].endswith("+0000")
    stored = provider.stored(message["sid"])
    assert stored["to"] == TO and stored["from"] == SENDER and stored["body"] == text()["Body"]
    assert stored["status_callback"] is None and stored["received_at"]
    await eventually(lambda: provider.stored(message["sid"])["status"] == "delivered")
    assert [p.name for p in provider.files()] == [f"{message['sid']}.json"]  # no temp files


async def test_segments_are_counted_as_sms_counts_them(provider: Provider) -> None:
    response = await provider.send(text(Body="€" * 81))
    assert response.json()["num_segments"] == "2"


async def test_wrong_credentials_are_refused_as_twilio_does(provider: Provider) -> None:
    for auth in [(ACCOUNT, "wrong-token"), ("AC" + "1" * 32, TOKEN)]:
        response = await provider.send(text(), auth=auth)
        assert response.status_code == 401
        assert response.json() == {
            "code": 20003,
            "message": "Authenticate",
            "more_info": "https://www.twilio.com/docs/errors/20003",
            "status": 401,
        }
        assert response.headers["www-authenticate"].startswith("Basic")
    anonymous = await provider.http.post(f"{provider.url}{MESSAGES}", data=text())
    assert anonymous.status_code == 401
    other_account = f"/2010-04-01/Accounts/AC{'1' * 32}/Messages.json"
    elsewhere = await provider.http.post(
        f"{provider.url}{other_account}", data=text(), auth=(ACCOUNT, TOKEN)
    )
    assert elsewhere.status_code == 401
    assert provider.files() == []


@pytest.mark.parametrize(
    "to", ["07700900123", "+0447700900123", "+44 7700 900123", "+12345", TO + "\n"]
)
async def test_a_number_not_in_e164_is_refused_with_21211(provider: Provider, to: str) -> None:
    response = await provider.send(text(to=to))
    assert response.status_code == 400
    error = response.json()
    assert error["code"] == 21211 and error["status"] == 400
    assert error["message"] == f"The 'To' number {to} is not a valid phone number."
    assert provider.files() == []


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({"From": SENDER, "Body": "hi"}, 21604),
        ({"To": TO, "Body": "hi"}, 21603),
        ({"To": TO, "From": "", "Body": "hi"}, 21603),
        ({"To": TO, "From": SENDER}, 21602),
        ({"To": TO, "From": SENDER, "Body": ""}, 21602),
        ({"To": TO, "From": SENDER, "Body": "a" * 1601}, 21617),
    ],
)
async def test_a_text_missing_a_part_is_refused_with_twilios_code(
    provider: Provider, form: dict[str, str], code: int
) -> None:
    response = await provider.send(form)
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert response.json()["more_info"] == f"https://www.twilio.com/docs/errors/{code}"


async def test_a_body_of_1600_characters_and_a_messaging_service_are_accepted(
    provider: Provider,
) -> None:
    form = {"To": TO, "MessagingServiceSid": "MG" + "0" * 32, "Body": "a" * 1600}
    response = await provider.send(form)
    assert response.status_code == 201
    assert response.json()["status"] == "accepted"  # the service has yet to pick a sender
    assert response.json()["messaging_service_sid"] == form["MessagingServiceSid"]


async def test_a_json_body_is_not_read_as_the_form(provider: Provider) -> None:
    response = await provider.http.post(
        f"{provider.url}{MESSAGES}", json=text(), auth=(ACCOUNT, TOKEN)
    )
    assert response.status_code == 400
    assert response.json()["code"] == 21604


async def test_status_callbacks_are_sent_then_delivered_and_signed(
    provider: Provider, receiver: CallbackReceiver
) -> None:
    sid = (await provider.send(text(StatusCallback=receiver.url))).json()["sid"]
    await eventually(lambda: len(receiver.calls) == 2)
    assert receiver.statuses() == ["sent", "delivered"]
    for call in receiver.calls:
        assert call.url == receiver.url
        assert signature_matches(TOKEN, receiver.url, call.params, call.signature)
        assert not signature_matches("another-token", receiver.url, call.params, call.signature)
        assert call.params["MessageSid"] == call.params["SmsSid"] == sid
        assert call.params["To"] == TO and call.params["From"] == SENDER
        assert call.params["AccountSid"] == ACCOUNT
        assert call.params["ApiVersion"] == "2010-04-01"
        assert "ErrorCode" not in call.params
    stored = provider.stored(sid)
    assert stored["status"] == "delivered" and stored["status_callback"] == receiver.url


async def test_the_file_holds_each_status_before_its_callback_arrives(
    provider: Provider, receiver: CallbackReceiver
) -> None:
    receiver.status_of = lambda sid: str(provider.stored(sid)["status"])
    await provider.send(text(StatusCallback=receiver.url))
    await eventually(lambda: len(receiver.calls) == 2)
    assert receiver.seen == receiver.statuses() == ["sent", "delivered"]


async def test_a_number_with_the_undelivered_suffix_ends_undelivered_with_30003(
    provider: Provider, receiver: CallbackReceiver
) -> None:
    sid = (await provider.send(text(to="+447700900003", StatusCallback=receiver.url))).json()["sid"]
    await eventually(lambda: len(receiver.calls) == 2)
    assert receiver.statuses() == ["sent", "undelivered"]
    assert receiver.calls[1].params["ErrorCode"] == "30003"
    assert signature_matches(
        TOKEN, receiver.url, receiver.calls[1].params, receiver.calls[1].signature
    )
    assert provider.stored(sid)["status"] == "undelivered"
    assert provider.stored(sid)["error_code"] == 30003


async def test_a_number_with_the_failed_suffix_fails_without_being_sent(
    provider: Provider, receiver: CallbackReceiver
) -> None:
    sid = (await provider.send(text(to="+447700900005", StatusCallback=receiver.url))).json()["sid"]
    await eventually(lambda: provider.stored(sid)["status"] == "failed")
    await eventually(lambda: len(receiver.calls) == 1)
    assert receiver.statuses() == ["failed"]
    assert receiver.calls[0].params["ErrorCode"] == "30005"


async def test_the_suffixes_are_configurable(
    config: ProviderConfig, receiver: CallbackReceiver
) -> None:
    async with running(replace(config, undelivered_suffix="42")) as provider:
        await provider.send(text(to="+4477009042", StatusCallback=receiver.url))
        await eventually(lambda: len(receiver.calls) == 2)
    assert receiver.statuses() == ["sent", "undelivered"]


async def test_a_failed_callback_is_tried_again(
    provider: Provider, receiver: CallbackReceiver
) -> None:
    receiver.failures = 2
    await provider.send(text(StatusCallback=receiver.url))
    await eventually(lambda: receiver.statuses().count("delivered") == 1)
    assert receiver.statuses() == ["sent", "sent", "sent", "delivered"]
    assert all(
        signature_matches(TOKEN, receiver.url, call.params, call.signature)
        for call in receiver.calls
    )


async def test_a_callback_that_keeps_failing_is_given_up_and_the_text_moves_on(
    config: ProviderConfig, receiver: CallbackReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    receiver.failures = 1000
    caplog.set_level(logging.WARNING, logger="onboarding_devtools.sms_provider")
    async with running(replace(config, callback_attempts=2)) as provider:
        sid = (await provider.send(text(StatusCallback=receiver.url))).json()["sid"]
        await eventually(lambda: provider.stored(sid)["status"] == "delivered")
        await eventually(lambda: len(receiver.calls) == 4)
    assert receiver.statuses() == ["sent", "sent", "delivered", "delivered"]
    assert "given up after 2 attempts" in caplog.text


async def test_an_unreachable_callback_url_does_not_stop_the_text(
    config: ProviderConfig, unused_port: int
) -> None:
    async with running(replace(config, callback_attempts=2)) as provider:
        dead = f"http://127.0.0.1:{unused_port}/status"
        sid = (await provider.send(text(StatusCallback=dead))).json()["sid"]
        await eventually(lambda: provider.stored(sid)["status"] == "delivered")


async def test_the_throttle_answers_429_with_retry_after_and_keeps_nothing(
    config: ProviderConfig,
) -> None:
    async with running(replace(config, throttle_rate=1.0)) as provider:
        response = await provider.send(text())
        assert response.status_code == 429
        assert response.headers["retry-after"] == "1"
        assert response.json()["code"] == 20429
        assert provider.files() == []
        # Credentials are checked first: a stranger learns nothing from a 429.
        assert (await provider.send(text(), auth=(ACCOUNT, "wrong"))).status_code == 401


async def test_a_seeded_throttle_refuses_the_same_requests_every_run(
    config: ProviderConfig,
) -> None:
    runs = []
    for _ in range(2):
        async with running(replace(config, throttle_rate=0.5, seed=7)) as provider:
            runs.append([(await provider.send(text())).status_code for _ in range(20)])
    assert runs[0] == runs[1]
    assert set(runs[0]) == {201, 429}


async def test_the_list_shows_the_kept_texts_newest_first(provider: Provider) -> None:
    first = (await provider.send(text(Body="first"))).json()["sid"]
    second = (await provider.send(text(Body="second"))).json()["sid"]
    listing = await provider.http.get(f"{provider.url}{MESSAGES}", auth=(ACCOUNT, TOKEN))
    assert listing.status_code == 200
    assert [m["sid"] for m in listing.json()["messages"]] == [second, first]
    refused = await provider.http.get(f"{provider.url}{MESSAGES}", auth=(ACCOUNT, "wrong"))
    assert refused.status_code == 401


async def test_health(provider: Provider) -> None:
    response = await provider.http.get(f"{provider.url}/healthz")
    assert response.status_code == 200
