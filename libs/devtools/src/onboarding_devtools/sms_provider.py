"""A local SMS provider for development and tests that speaks Twilio's Messages API.

`python -m onboarding_devtools.sms_provider --port 8099 --dir .run/sms \
    --account-sid AC... --auth-token ...`

- `POST /2010-04-01/Accounts/{sid}/Messages.json` (a form: `To`, `From` or
  `MessagingServiceSid`, `Body`, `StatusCallback`), with HTTP basic auth of the account sid
  and auth token, answers 201 and a Twilio message resource, or Twilio's errors:
  401 code 20003 (credentials), 400 codes 21604 (no `To`), 21211 (`To` not E.164), 21603
  (no sender), 21602 (no `Body`), 21617 (`Body` over 1600 characters).
- Each accepted text is kept as `<dir>/<sid>.json` (to, from, body, status_callback,
  received_at, status, ...), replaced whole on each change, so a reader never sees half.
- Then its status moves on, `sent` then `delivered`, each posted to its `StatusCallback`
  signed with `X-Twilio-Signature` (`onboarding_kit.twilio_signature`, the auth token).
  A callback that fails is tried again a few times, further apart each time, then dropped
  with a warning in the log.
- `GET /2010-04-01/Accounts/{sid}/Messages.json` lists the kept texts, newest first;
  `GET /healthz` answers while it runs.

Fault knobs, each a flag or its environment variable:
- `--undelivered-suffix` (SMS_PROVIDER_UNDELIVERED_SUFFIX, default `0003`): a number ending
  so is `sent`, then `undelivered` with ErrorCode 30003 (unreachable destination handset);
- `--failed-suffix` (SMS_PROVIDER_FAILED_SUFFIX, default `0005`): a number ending so is
  never sent: `failed` with ErrorCode 30005 (unknown destination handset);
- `--throttle-rate` (SMS_PROVIDER_THROTTLE_RATE, default 0): that fraction of POSTs, drawn
  at random, answered 429 code 20429 with `Retry-After: 1`; `--seed` (SMS_PROVIDER_SEED)
  makes the draw the same on every run;
- `--status-delay` (SMS_PROVIDER_STATUS_DELAY, default 0.5): seconds between one status
  and the next.
"""

import argparse
import asyncio
import base64
import binascii
import hmac
import json
import logging
import os
import random
import re
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from onboarding_kit.sms_text import sms_segments
from onboarding_kit.twilio_signature import SIGNATURE_HEADER, twilio_signature

API_VERSION = "2010-04-01"
E164 = re.compile(r"\+[1-9][0-9]{6,14}")  # whole: no trailing newline, ASCII digits
MAX_BODY = 1600
PAGE_SIZE = 50
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProviderConfig:
    directory: Path
    account_sid: str
    auth_token: str
    undelivered_suffix: str = "0003"
    failed_suffix: str = "0005"
    throttle_rate: float = 0.0
    seed: int | None = None
    status_delay_s: float = 0.5
    callback_attempts: int = 4
    callback_backoff_s: float = 0.5  # doubled after each failed attempt
    callback_timeout_s: float = 5


@dataclass(frozen=True)
class StoredSms:
    """One accepted text, as kept in its file (`from_` is written `from`)."""

    sid: str
    account_sid: str
    to: str
    from_: str | None
    messaging_service_sid: str | None
    body: str
    status_callback: str | None
    received_at: str  # ISO 8601, UTC
    status: str
    error_code: int | None = None
    updated_at: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {("from" if name == "from_" else name): v for name, v in asdict(self).items()}

    @classmethod
    def from_json(cls, fields: dict[str, Any]) -> "StoredSms":
        return cls(**{("from_" if name == "from" else name): v for name, v in fields.items()})

    def resource(self) -> dict[str, Any]:
        """The message as Twilio's API shows it."""
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{self.sid}"
        created = format_datetime(datetime.fromisoformat(self.received_at))
        updated = format_datetime(datetime.fromisoformat(self.updated_at or self.received_at))
        return {
            "sid": self.sid,
            "account_sid": self.account_sid,
            "messaging_service_sid": self.messaging_service_sid,
            "to": self.to,
            "from": self.from_,
            "body": self.body,
            "status": self.status,
            "num_segments": str(sms_segments(self.body)),
            "num_media": "0",
            "direction": "outbound-api",
            "api_version": API_VERSION,
            "date_created": created,
            "date_updated": updated,
            "date_sent": updated if self.status in ("sent", "delivered", "undelivered") else None,
            "error_code": self.error_code,
            "error_message": None,
            "price": None,
            "price_unit": "USD",
            "uri": f"{uri}.json",
            "subresource_uris": {"media": f"{uri}/Media.json"},
        }


class MessageFiles:
    """The accepted texts, one JSON file each, named by sid."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    def save(self, sms: StoredSms) -> None:
        temporary = self.directory / f".{sms.sid}.json.tmp"
        temporary.write_text(json.dumps(sms.to_json(), ensure_ascii=False, indent=2))
        os.replace(temporary, self.directory / f"{sms.sid}.json")  # readers never see half

    def newest_first(self) -> list[StoredSms]:
        found = []
        for path in self.directory.glob("SM*.json"):
            try:
                found.append(StoredSms.from_json(json.loads(path.read_text())))
            except (OSError, ValueError, TypeError):
                continue  # removed meanwhile, or not one of ours
        return sorted(found, key=lambda sms: (sms.received_at, sms.sid), reverse=True)


def twilio_error(
    status: int, code: int, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return JSONResponse(body, status_code=status, headers=headers)


def _now() -> str:
    return datetime.now(UTC).isoformat()


class SmsProvider:
    """What the routes do: check, keep, and move each text through its statuses."""

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config
        self.files = MessageFiles(config.directory)
        self._random = random.Random(config.seed)
        self._progressing: set[asyncio.Task[None]] = set()  # referenced until done
        self._http = httpx.AsyncClient(timeout=config.callback_timeout_s)

    async def close(self) -> None:
        for task in self._progressing:
            task.cancel()
        await asyncio.gather(*self._progressing, return_exceptions=True)
        await self._http.aclose()

    def authorized(self, request: Request, account_sid: str) -> bool:
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        try:
            credentials = base64.b64decode(encoded, validate=True)  # "sid:token"
        except binascii.Error:
            return False
        expected = f"{self.config.account_sid}:{self.config.auth_token}".encode()
        return (
            scheme.lower() == "basic"
            and account_sid == self.config.account_sid
            and hmac.compare_digest(credentials, expected)
        )

    def throttled(self) -> bool:
        return self._random.random() < self.config.throttle_rate

    def accept(self, form: dict[str, str]) -> StoredSms | JSONResponse:
        to, body = form.get("To", ""), form.get("Body", "")
        sender, service = form.get("From") or None, form.get("MessagingServiceSid") or None
        if not to:
            return twilio_error(400, 21604, "A 'To' phone number is required.")
        if not E164.fullmatch(to):
            return twilio_error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if sender is None and service is None:
            return twilio_error(400, 21603, "A 'From' phone number is required.")
        if not body:
            return twilio_error(400, 21602, "Message body is required.")
        if len(body) > MAX_BODY:
            message = "The concatenated message body exceeds the 1600 character limit."
            return twilio_error(400, 21617, message)
        sms = StoredSms(
            sid="SM" + secrets.token_hex(16),
            account_sid=self.config.account_sid,
            to=to,
            from_=sender,
            messaging_service_sid=service,
            body=body,
            status_callback=form.get("StatusCallback") or None,
            received_at=_now(),
            # Through a Messaging Service, Twilio has yet to pick the sender.
            status="queued" if sender else "accepted",
        )
        self.files.save(sms)
        task = asyncio.create_task(self._progress(sms))
        self._progressing.add(task)
        task.add_done_callback(self._progressing.discard)
        return sms

    def _fate(self, to: str) -> list[tuple[str, int | None]]:
        """The statuses a text to `to` goes through after it was accepted."""
        if self.config.failed_suffix and to.endswith(self.config.failed_suffix):
            return [("failed", 30005)]
        if self.config.undelivered_suffix and to.endswith(self.config.undelivered_suffix):
            return [("sent", None), ("undelivered", 30003)]
        return [("sent", None), ("delivered", None)]

    async def _progress(self, sms: StoredSms) -> None:
        for status, error_code in self._fate(sms.to):
            await asyncio.sleep(self.config.status_delay_s)
            sms = replace(sms, status=status, error_code=error_code, updated_at=_now())
            self.files.save(sms)
            if sms.status_callback:
                await self._call_back(sms.status_callback, _callback_params(sms))

    async def _call_back(self, url: str, params: dict[str, str]) -> None:
        signature = twilio_signature(self.config.auth_token, url, params)
        delay = self.config.callback_backoff_s
        for attempt in range(1, self.config.callback_attempts + 1):
            try:
                response = await self._http.post(
                    url, data=params, headers={SIGNATURE_HEADER: signature}
                )
                if response.is_success:
                    return
                problem = f"HTTP {response.status_code}"
            except httpx.HTTPError as error:
                problem = f"{type(error).__name__} {error}"
            if attempt < self.config.callback_attempts:
                await asyncio.sleep(delay)
                delay *= 2
        log.warning(
            "status callback %s of %s to %s given up after %d attempts: %s",
            params["MessageStatus"],
            params["MessageSid"],
            url,
            self.config.callback_attempts,
            problem,
        )


def _callback_params(sms: StoredSms) -> dict[str, str]:
    params = {
        "MessageSid": sms.sid,
        "SmsSid": sms.sid,
        "MessageStatus": sms.status,
        "SmsStatus": sms.status,
        "To": sms.to,
        "From": sms.from_ or "",
        "AccountSid": sms.account_sid,
        "ApiVersion": API_VERSION,
    }
    if sms.messaging_service_sid:
        params["MessagingServiceSid"] = sms.messaging_service_sid
    if sms.error_code is not None:
        params["ErrorCode"] = str(sms.error_code)
    return params


def create_app(config: ProviderConfig) -> FastAPI:
    provider = SmsProvider(config)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await provider.close()

    app = FastAPI(title="Local SMS provider (Twilio Messages API)", lifespan=lifespan)
    messages_path = f"/{API_VERSION}/Accounts/{{account_sid}}/Messages.json"
    unauthorized = {"WWW-Authenticate": 'Basic realm="Twilio API"'}

    @app.post(messages_path)
    async def create_message(account_sid: str, request: Request) -> JSONResponse:
        if not provider.authorized(request, account_sid):
            return twilio_error(401, 20003, "Authenticate", unauthorized)
        if provider.throttled():
            return twilio_error(429, 20429, "Too Many Requests", {"Retry-After": "1"})
        # Twilio reads a form only (a JSON body has no `To`, hence 21604, as there).
        form = dict(
            parse_qsl((await request.body()).decode(errors="replace"), keep_blank_values=True)
        )
        accepted = provider.accept(form)
        if isinstance(accepted, JSONResponse):
            return accepted
        return JSONResponse(accepted.resource(), status_code=201)

    @app.get(messages_path)
    async def list_messages(account_sid: str, request: Request) -> JSONResponse:
        if not provider.authorized(request, account_sid):
            return twilio_error(401, 20003, "Authenticate", unauthorized)
        page = [sms.resource() for sms in provider.files.newest_first()[:PAGE_SIZE]]
        uri = f"{request.url.path}?PageSize={PAGE_SIZE}&Page=0"
        return JSONResponse(
            {
                "messages": page,
                "page": 0,
                "page_size": PAGE_SIZE,
                "uri": uri,
                "first_page_uri": uri,
                "next_page_uri": None,  # newest first, one page: enough to look at
            }
        )

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.state.provider = provider
    return app


@asynccontextmanager
async def serve_app(app: FastAPI, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[str]:
    """`app` under uvicorn on this event loop (port 0: a free one), for as long as the
    block runs: its base URL. `serve_app(create_app(config))` runs the provider in tests."""
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if serving.done():
                serving.result()  # raises why it could not start
                raise RuntimeError("the server stopped before it started")
            await asyncio.sleep(0.01)
        bound_port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://{host}:{bound_port}"
    finally:
        server.should_exit = True
        await serving


def _env(name: str, default: str) -> str:
    return os.environ.get(f"SMS_PROVIDER_{name}", default)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--account-sid", required=True)
    parser.add_argument(
        "--auth-token",
        default=os.environ.get("SMS_PROVIDER_AUTH_TOKEN"),
        help="the account's auth token (or SMS_PROVIDER_AUTH_TOKEN, kept out of `ps`)",
    )
    parser.add_argument("--undelivered-suffix", default=_env("UNDELIVERED_SUFFIX", "0003"))
    parser.add_argument("--failed-suffix", default=_env("FAILED_SUFFIX", "0005"))
    parser.add_argument("--throttle-rate", type=float, default=_env("THROTTLE_RATE", "0"))
    parser.add_argument("--seed", type=int, default=_env("SEED", "") or None)
    parser.add_argument("--status-delay", type=float, default=_env("STATUS_DELAY", "0.5"))
    args = parser.parse_args()
    if not args.auth_token:
        parser.error("--auth-token or SMS_PROVIDER_AUTH_TOKEN is required")
    config = ProviderConfig(
        directory=args.dir,
        account_sid=args.account_sid,
        auth_token=args.auth_token,
        undelivered_suffix=args.undelivered_suffix,
        failed_suffix=args.failed_suffix,
        throttle_rate=args.throttle_rate,
        seed=args.seed,
        status_delay_s=args.status_delay,
    )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    print(f"SMS provider on http://{args.host}:{args.port}, writing to {args.dir}", flush=True)
    uvicorn.run(create_app(config), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
