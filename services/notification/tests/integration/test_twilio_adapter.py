"""The SMS adapter with Twilio's Messages API: what each answer of a provider becomes.

Against the local SMS provider running in-process, and, for the answers it never gives (a
5xx, a hang), a small server of the test's own. No database, no broker."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from notification.channels.sms import OutgoingSms, SmsAccepted
from notification.channels.sms.twilio import TwilioMessages
from notification.errors import DeliveryDeferred, DeliveryUnavailable, MessageRejected
from onboarding_devtools.sms_provider import ProviderConfig, create_app, serve_app

ACCOUNT = "AC" + "a" * 32
TOKEN = "the-auth-token"
SENDER = "+15005550006"
SERVICE = "MG" + "b" * 32
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

SMS = OutgoingSms(
    message_id="notification-1",
    to="+447700900123",
    body="Ann, join Biology 101: https://join.example.org/a?t=x",
    status_callback="http://127.0.0.1:9/sms/status",
)


@pytest.fixture
def config(tmp_path: Path) -> ProviderConfig:
    # Slow statuses: these tests look at what the provider kept when it took the text.
    return ProviderConfig(
        directory=tmp_path / "sms", account_sid=ACCOUNT, auth_token=TOKEN, status_delay_s=60
    )


@pytest.fixture
async def provider_url(config: ProviderConfig) -> AsyncIterator[str]:
    async with serve_app(create_app(config)) as url:
        yield url


def channel(url: str, token: str = TOKEN, **options: Any) -> TwilioMessages:
    return TwilioMessages(url, ACCOUNT, token, SENDER, **options)


async def send(sms_channel: TwilioMessages, sms: OutgoingSms = SMS) -> SmsAccepted:
    try:
        return await sms_channel.send(sms)
    finally:
        await sms_channel.close()


async def test_an_accepted_text_answers_the_providers_sid(
    provider_url: str, config: ProviderConfig
) -> None:
    accepted = await send(channel(provider_url))
    assert accepted.status == "queued"
    stored = (config.directory / f"{accepted.provider_id}.json").read_text()
    assert f'"sid": "{accepted.provider_id}"' in stored
    assert f'"to": "{SMS.to}"' in stored and f'"from": "{SENDER}"' in stored
    assert f'"status_callback": "{SMS.status_callback}"' in stored
    assert SMS.message_id not in stored  # our id is for our logs only


async def test_without_a_status_callback_none_is_asked_for(
    provider_url: str, config: ProviderConfig
) -> None:
    accepted = await send(channel(provider_url), replace(SMS, status_callback=None))
    stored = (config.directory / f"{accepted.provider_id}.json").read_text()
    assert '"status_callback": null' in stored


async def test_a_messaging_service_sends_in_place_of_a_number(
    provider_url: str, config: ProviderConfig
) -> None:
    accepted = await send(channel(provider_url, messaging_service_sid=SERVICE))
    assert accepted.status == "accepted"
    stored = (config.directory / f"{accepted.provider_id}.json").read_text()
    assert f'"messaging_service_sid": "{SERVICE}"' in stored and '"from": null' in stored


async def test_a_bad_number_is_rejected_with_twilios_code_and_message(provider_url: str) -> None:
    with pytest.raises(MessageRejected) as raised:
        await send(channel(provider_url), replace(SMS, to="07700900123"))
    assert raised.value.reason == "21211 The 'To' number 07700900123 is not a valid phone number."
    assert not isinstance(raised.value, DeliveryDeferred)


async def test_a_body_over_the_limit_is_rejected(provider_url: str) -> None:
    with pytest.raises(MessageRejected, match=r"^21617 "):
        await send(channel(provider_url), replace(SMS, body="a" * 1601))


async def test_a_wrong_auth_token_makes_the_channel_unavailable_not_the_text_rejected(
    provider_url: str,
) -> None:
    with pytest.raises(DeliveryUnavailable, match=r"credentials.*20003 Authenticate"):
        await send(channel(provider_url, token="wrong-token"))


async def test_a_throttling_provider_defers_the_text_and_asks_to_slow_down(
    config: ProviderConfig,
) -> None:
    async with serve_app(create_app(replace(config, throttle_rate=1.0))) as url:
        with pytest.raises(DeliveryDeferred) as raised:
            await send(channel(url))
    assert not isinstance(raised.value, DeliveryUnavailable)
    assert raised.value.retry_after == 1.0
    assert raised.value.slow_down is True
    assert raised.value.reason.startswith("20429 ")


async def test_a_provider_that_is_down_makes_the_channel_unavailable(unused_port: int) -> None:
    with pytest.raises(DeliveryUnavailable, match="unreachable"):
        await send(channel(f"http://127.0.0.1:{unused_port}"))


def answering(status: int, body: Any, headers: dict[str, str] | None = None) -> FastAPI:
    """A provider that answers every text with `status` and `body`."""
    app = FastAPI()

    @app.post("/2010-04-01/Accounts/{account_sid}/Messages.json")
    async def create_message(account_sid: str) -> JSONResponse:
        return JSONResponse(body, status_code=status, headers=headers)

    return app


SERVER_ERROR = {"code": 20500, "message": "Internal Server Error", "status": 503}


async def test_a_server_error_defers_the_text_after_its_retry_after_date() -> None:
    when = format_datetime(NOW + timedelta(seconds=30), usegmt=True)
    app = answering(503, SERVER_ERROR, {"Retry-After": when})
    async with serve_app(app) as url:
        with pytest.raises(DeliveryDeferred) as raised:
            await send(channel(url, clock=lambda: NOW))
    assert raised.value.retry_after == 30.0
    assert raised.value.slow_down is False
    assert raised.value.reason == "20500 Internal Server Error"


@pytest.mark.parametrize(
    ("header", "retry_after"),
    [(None, None), ("120", 120.0), ("soon", None), ("Sat, 01 Mar 2025 12:00:00 GMT", 0.0)],
)
async def test_a_server_error_reads_retry_after_as_given(
    header: str | None, retry_after: float | None
) -> None:
    app = answering(500, "oops", {"Retry-After": header} if header else None)
    async with serve_app(app) as url:
        with pytest.raises(DeliveryDeferred) as raised:
            await send(channel(url, clock=lambda: NOW))
    assert raised.value.retry_after == retry_after
    assert raised.value.reason.startswith("HTTP 500 Internal Server Error")


async def test_a_refusal_without_twilios_error_body_is_rejected_with_its_status() -> None:
    async with serve_app(answering(404, {"detail": "Not Found"})) as url:
        with pytest.raises(MessageRejected, match=r"^HTTP 404 Not Found"):
            await send(channel(url))


async def test_a_forbidden_answer_makes_the_channel_unavailable() -> None:
    forbidden = {"code": 20003, "message": "Permission Denied", "status": 403}
    async with serve_app(answering(403, forbidden)) as url:
        with pytest.raises(DeliveryUnavailable, match="Permission Denied"):
            await send(channel(url))


async def test_an_acceptance_without_a_sid_is_not_taken_for_a_sent_text() -> None:
    async with serve_app(answering(201, {"status": "queued"})) as url:
        with pytest.raises(DeliveryUnavailable, match="without a message sid"):
            await send(channel(url))


async def test_a_provider_that_does_not_answer_in_time_makes_the_channel_unavailable() -> None:
    app = FastAPI()

    @app.post("/2010-04-01/Accounts/{account_sid}/Messages.json")
    async def hang(account_sid: str) -> None:
        await asyncio.sleep(1)

    async with serve_app(app) as url:
        with pytest.raises(DeliveryUnavailable, match="ReadTimeout"):
            await send(channel(url, timeout_s=0.2))
