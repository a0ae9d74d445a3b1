"""Texts through the notification service in-process (real PostgreSQL and Kafka) to the
local SMS provider (Twilio's Messages API, run in-process): the text carries its link and
fits two segments, the provider's signed status callbacks mark it delivered or
undelivered, and a forged callback is refused."""

import json
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from onboarding_contracts import NotificationDelivered, NotificationFailed, NotificationSent
from onboarding_devtools.sms_provider import ProviderConfig, serve_app
from onboarding_devtools.sms_provider import create_app as provider_app
from onboarding_devtools.testing import running
from onboarding_kit.sms_text import sms_segments
from onboarding_kit.twilio_signature import SIGNATURE_HEADER, twilio_signature

from .conftest import Service

pytestmark = pytest.mark.integration

ACCOUNT = "AC" + "c" * 32
TOKEN = "provider-auth-token"
SENDER = "+15005550006"


def texts(directory: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(directory.glob("SM*.json"))]


def notification_app(service: Service, provider_url: str, port: int) -> FastAPI:
    return service.app(
        sms_provider_url=provider_url,
        sms_account_sid=ACCOUNT,
        sms_auth_token=TOKEN,
        sms_from=SENDER,
        sms_status_callback_url=f"http://127.0.0.1:{port}/v1/sms/status",
        http_port=port,
    )


async def test_a_text_is_sent_with_its_link_and_the_providers_statuses_are_recorded(
    service: Service, invitations, tmp_path: Path, unused_port: int
) -> None:
    config = ProviderConfig(tmp_path / "sms", ACCOUNT, TOKEN, status_delay_s=0.2)
    delivered = invitations.issued("inv-sms-1", channel="sms", phone="+447700900123")
    lost = invitations.issued("inv-sms-2", channel="sms", phone="+447700900003")
    async with serve_app(provider_app(config)) as provider_url:
        app = notification_app(service, provider_url, unused_port)
        async with serve_app(app, port=unused_port) as url:
            await service.publish(delivered, lost)
            sent = await service.notifications(2, NotificationSent)
            (arrived,) = await service.notifications(1, NotificationDelivered)
            (failed,) = await service.notifications(1, NotificationFailed)
            rows = {r["invitation_id"]: r for r in await service.messages(app)}

            forged = {"MessageSid": sent[0].data.provider_id, "MessageStatus": "failed"}
            async with httpx.AsyncClient(base_url=url) as client:
                refused = await client.post(
                    "/v1/sms/status", data=forged, headers={SIGNATURE_HEADER: "bm90IGl0"}
                )
                unsigned = await client.post("/v1/sms/status", data=forged)
                # Signed with the right token over another URL: refused as well.
                elsewhere = twilio_signature(TOKEN, "http://elsewhere/v1/sms/status", forged)
                moved = await client.post(
                    "/v1/sms/status", data=forged, headers={SIGNATURE_HEADER: elsewhere}
                )
            after = {r["invitation_id"]: r["status"] for r in await service.messages(app)}

    stored = {t["to"]: t for t in texts(tmp_path / "sms")}
    assert set(stored) == {"+447700900123", "+447700900003"}
    body = stored["+447700900123"]["body"]
    assert invitations.link_of(delivered) in body
    assert sms_segments(body) <= 2
    assert stored["+447700900123"]["from"] == SENDER

    by_invitation = {e.data.invitation_id: e for e in sent}
    assert by_invitation["inv-sms-1"].data.provider_id == stored["+447700900123"]["sid"]
    assert by_invitation["inv-sms-1"].data.channel == "sms"
    assert arrived.data.invitation_id == "inv-sms-1"
    assert (failed.data.invitation_id, failed.data.status) == ("inv-sms-2", "undelivered")
    assert "30003" in failed.data.reason
    assert rows["inv-sms-1"]["status"] == "delivered" and rows["inv-sms-1"]["delivered_at"]
    assert rows["inv-sms-2"]["status"] == "undelivered"

    for answer in (refused, unsigned, moved):
        assert answer.status_code == 403, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
    assert after == {"inv-sms-1": "delivered", "inv-sms-2": "undelivered"}, "nothing changed"


async def test_without_a_provider_a_text_fails_with_the_reason(
    service: Service, invitations
) -> None:
    app = service.app()
    event = invitations.issued("inv-sms-3", channel="sms", phone="+447700900123")
    no_phone = invitations.issued("inv-sms-4", channel="sms")
    async with running(app):
        await service.publish(event, no_phone)
        failed = await service.notifications(2, NotificationFailed)
    reasons = {e.data.invitation_id: e.data.reason for e in failed}
    assert "SMS is not set up" in reasons["inv-sms-3"]
    assert "no phone number" in reasons["inv-sms-4"]
