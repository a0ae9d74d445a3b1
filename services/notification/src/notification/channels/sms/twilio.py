"""The SMS channel over a provider with Twilio's Messages API: one form POST per text.

What each answer becomes:
- 201 (or 200): accepted, with the Message SID the status callbacks will name;
- 429: deferred, after `Retry-After`, and the sender should slow down;
- 5xx: deferred, after `Retry-After` when the provider gave one;
- 401, 403: our credentials are refused, which no message can fix: the channel is
  unavailable (the messages wait for the credentials to be put right, none fails for it);
- any other 4xx: this message is refused for good, with Twilio's error code and message
  (`{"code": 21211, "message": "The 'To' number ... is not a valid phone number.", ...}`);
- no answer (refused connection, timeout): the channel is unavailable.
"""

import math
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from onboarding_kit.clock import Clock, utcnow

from notification.channels.sms import OutgoingSms, SmsAccepted
from notification.errors import DeliveryDeferred, DeliveryUnavailable, MessageRejected


class TwilioMessages:
    """An `SmsChannel` over Twilio's `Messages.json`, or any provider with its shape."""

    def __init__(
        self,
        base_url: str,
        account_sid: str,
        auth_token: str,
        sender: str,
        *,
        timeout_s: float = 10,
        messaging_service_sid: str | None = None,
        clock: Clock = utcnow,
    ) -> None:
        self.sender = sender
        self.messaging_service_sid = messaging_service_sid
        self._clock = clock
        self._path = f"/2010-04-01/Accounts/{account_sid}/Messages.json"
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"), auth=(account_sid, auth_token), timeout=timeout_s
        )

    def _form(self, message: OutgoingSms) -> dict[str, str]:
        form = {"To": message.to, "Body": message.body}
        # A Messaging Service picks the sender from its own pool of numbers.
        if self.messaging_service_sid:
            form["MessagingServiceSid"] = self.messaging_service_sid
        else:
            form["From"] = self.sender
        if message.status_callback:
            form["StatusCallback"] = message.status_callback
        return form

    async def send(self, message: OutgoingSms) -> SmsAccepted:
        try:
            response = await self._http.post(self._path, data=self._form(message))
        except httpx.TransportError as error:
            raise DeliveryUnavailable(
                f"SMS provider unreachable: {type(error).__name__} {error}"
            ) from error
        if response.status_code in (200, 201):
            return _accepted(response)
        reason = _error_of(response)
        if response.status_code == 429:
            raise DeliveryDeferred(reason, retry_after=self._retry_after(response), slow_down=True)
        if response.status_code >= 500:
            raise DeliveryDeferred(reason, retry_after=self._retry_after(response))
        if response.status_code in (401, 403):
            raise DeliveryUnavailable(f"SMS provider refused our credentials: {reason}")
        raise MessageRejected(reason)

    def _retry_after(self, response: httpx.Response) -> float | None:
        return retry_after_seconds(response.headers.get("Retry-After"), self._clock)

    async def close(self) -> None:
        await self._http.aclose()


def _accepted(response: httpx.Response) -> SmsAccepted:
    resource = _json_object(response)
    sid, status = resource.get("sid"), resource.get("status")
    if not isinstance(sid, str) or not sid:
        # It may have taken the text; nothing here says so for sure, and a text sent twice
        # does less harm than an invitation never sent.
        raise DeliveryUnavailable(
            f"SMS provider answered {response.status_code} without a message sid"
        )
    return SmsAccepted(provider_id=sid, status=status if isinstance(status, str) else "queued")


def _error_of(response: httpx.Response) -> str:
    """Twilio's `code` and `message` when the body has them, else the HTTP status."""
    error = _json_object(response)
    code, message = error.get("code"), error.get("message")
    if code is not None and message:
        return f"{code} {message}"
    return f"HTTP {response.status_code} {response.reason_phrase}: {response.text[:200]}"


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def retry_after_seconds(value: str | None, clock: Clock = utcnow) -> float | None:
    """`Retry-After` in seconds from now: either delta-seconds or an HTTP date (RFC 9110);
    None when absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # "-0000": an HTTP date is in GMT all the same
        when = when.replace(tzinfo=UTC)
    seconds = (when - clock()).total_seconds()
    return float(max(0, math.ceil(seconds)))
