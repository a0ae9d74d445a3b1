"""The four services as processes, for end-to-end tests: fresh databases, a topic prefix
of the test's own, free ports, the SMTP sink writing into the test's directory."""

import contextlib
import email
import email.message
import email.policy
import json
import re
import secrets
import socket
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Literal

import httpx
from onboarding_kit.sealing import new_key

from onboarding_devtools.devstack import (
    REPLICATED,
    SERVICES,
    StackConfig,
    replica_name,
    start_processes,
    stop_processes,
    wait_ready,
)

TEST_RATE_LIMITS = {
    "SUBMISSIONS_PER_MINUTE_PER_IP": "100000",
    "SUBMISSIONS_PER_MINUTE_PER_LINK": "100000",
    "PAGE_VIEWS_PER_MINUTE_PER_IP": "100000",
}
# Periodic jobs run every second, so that a test sees a link expire or a reminder go out in
# seconds (a tenant's lifetimes and periods may be that short too, in hours: 0.001).
TEST_SCHEDULES = {
    "EXPIRY_SWEEP_INTERVAL_S": "1",
    "REMINDER_SWEEP_INTERVAL_S": "1",
}
ACCEPT_LINK = re.compile(r"https?://\S+/join\?token=[\w-]+")
# What the notification service writes in X-Notification-Kind, as tests tell messages apart:
# a link (invitation, resend, reminder, credentials; also a message without it), or a welcome.
MailKind = Literal["invitation", "welcome"]


@dataclass(frozen=True)
class RunningStack:
    config: StackConfig
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def url(self, service: str) -> str:
        return self.config.url(service)

    def mail(self) -> list[Path]:
        return sorted(self.config.mail_dir.glob("*.eml"))

    def texts_to(self, number: str) -> list[dict[str, Any]]:
        """The texts the local SMS provider took for `number`, in the order taken (each as
        the provider keeps it: to, from, body, status, ...)."""
        texts = [json.loads(p.read_text()) for p in self.config.sms_dir.glob("SM*.json")]
        return sorted((t for t in texts if t["to"] == number), key=lambda t: str(t["received_at"]))

    def mail_to(
        self, recipient: str, kind: MailKind = "invitation"
    ) -> list[email.message.EmailMessage]:
        """The messages of this kind sent to `recipient`, in the order sent: by default the
        links (invitations, resends, reminders, credentials), not the welcome email."""
        messages = [
            email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            for path in self.mail()
        ]
        return [
            m
            for m in messages
            if isinstance(m, email.message.EmailMessage)
            and recipient in m["To"]
            and (m.get("X-Notification-Kind", "invitation") == "welcome") == (kind == "welcome")
        ]

    def link_for(self, recipient: str) -> str:
        """The accept link in the one invitation sent to `recipient`; the HTML part links to
        it too."""
        (message,) = self.mail_to(recipient)
        text = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        assert text is not None and html is not None
        found = ACCEPT_LINK.search(text.get_content())
        assert found, text.get_content()
        assert found.group(0) in html.get_content()
        return found.group(0)

    def admin(self, api_key: str) -> httpx.AsyncClient:
        """A client of the enrolment API, as the tenant whose key this is."""
        return httpx.AsyncClient(
            base_url=self.url("enrolment"),
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=30,
        )


class _HiddenInputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "input" and found.get("type") == "hidden" and found.get("name"):
            self.fields[found["name"] or ""] = found.get("value") or ""


def hidden_fields(page: str) -> dict[str, str]:
    """The hidden inputs of an HTML page (the join form's `token` and `csrf_token`), by name:
    what a browser posts back with the fields a person fills in."""
    parser = _HiddenInputs()
    parser.feed(page)
    return parser.fields


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


@contextlib.asynccontextmanager
async def running_stack(
    new_database: Callable[[], Awaitable[str]],
    kafka: str,
    topic_prefix: str,
    run_dir: Path,
    extra_env: Mapping[str, str] | None = None,
    replicas: int = 1,
) -> AsyncIterator[RunningStack]:
    """The stack, started in `run_dir` (with `replicas` processes of each service in
    REPLICATED); `extra_env` adds to every service's environment."""
    names = [*SERVICES, *(replica_name(s, n) for s in REPLICATED for n in range(2, replicas + 1))]
    ports = free_ports(len(names) + 2)
    config = StackConfig(
        run_dir=run_dir,
        database_urls={service: await new_database() for service in SERVICES},
        kafka_bootstrap_servers=kafka,
        invitation_link_key=new_key(),
        internal_api_token=secrets.token_urlsafe(24),
        ports=dict(zip(names, ports, strict=False)),
        smtp_port=ports[-2],
        sms_port=ports[-1],
        topic_prefix=topic_prefix,
        # Tests drive the public pages from one address far faster than a person would.
        extra_env=TEST_RATE_LIMITS | TEST_SCHEDULES | dict(extra_env or {}),
        replicas=replicas,
    )
    processes = start_processes(config)
    try:
        await wait_ready(config, processes, timeout_s=90)
        yield RunningStack(config, processes)
    finally:
        stop_processes(processes)
