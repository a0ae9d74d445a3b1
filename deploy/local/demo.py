"""`make demo`: a real onboarding run against the stack `make up` started.

A CSV of 200 people is imported into a course; each is invited and emailed (the emails land
in `.run/mail/`); one of them opens their link and registers; their enrolment turns active
and they get the welcome email with their username.
"""

import asyncio
import email
import email.message
import email.policy
import re
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from onboarding_devtools.testing.stack import hidden_fields

PEOPLE = 200
RUN_DIR = Path(__file__).resolve().parents[2] / ".run"


def read_env() -> dict[str, str]:
    path = RUN_DIR / "env"
    if not path.exists():
        sys.exit("no .run/env: start the stack with `make up` first")
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {k: v for k, v in pairs}


def read_message(message_path: Path) -> email.message.EmailMessage:
    message = email.message_from_bytes(message_path.read_bytes(), policy=email.policy.default)
    assert isinstance(message, email.message.EmailMessage)
    return message


def accept_link(message_path: Path) -> str:
    body = read_message(message_path).get_body(preferencelist=("plain",))
    assert body is not None
    found = re.search(r"https?://\S+/join\?token=\S+", body.get_content())
    assert found, f"no accept link in {message_path.name}"
    return found.group(0)


def mail_files(mail_dir: Path) -> set[Path]:
    return set(mail_dir.glob("*.eml"))


async def wait_for(what: str, probe: Callable[[], Awaitable[bool]], timeout_s: float = 180) -> None:
    deadline = time.monotonic() + timeout_s
    while not await probe():
        if time.monotonic() > deadline:
            sys.exit(f"gave up waiting for {what}")
        await asyncio.sleep(0.2)


async def main() -> None:
    env = read_env()
    mail_dir = Path(env["MAIL_DIR"])
    mail_before = mail_files(mail_dir)
    run = time.strftime("%Y%m%d-%H%M%S")
    course = f"ielts-academic-{run}"
    csv = "email,id,name\n" + "".join(
        f"learner{n:03d}.{run}@example.org,S{n:03d},Learner {n:03d}\n" for n in range(1, PEOPLE + 1)
    )
    admin = httpx.AsyncClient(
        base_url=env["ENROLMENT_URL"],
        headers={"Authorization": f"Bearer {env['ONBOARDING_API_KEY']}"},
        timeout=60,
    )
    course_created = await admin.post(
        "/v1/courses", json={"code": course, "title": f"IELTS Academic ({run})"}
    )
    course_created.raise_for_status()
    started = time.monotonic()
    response = await admin.post(
        "/v1/imports", params={"course": course}, content=csv, headers={"content-type": "text/csv"}
    )
    response.raise_for_status()
    imported = response.json()
    print(
        f"import {imported['id']}: {imported['enrolled']} enrolled, {imported['failed']} bad rows"
    )

    async def funnel() -> dict[str, int]:
        r = await admin.get("/v1/funnel", params={"import_id": imported["id"]})
        r.raise_for_status()
        return dict(r.json())

    def new_mail() -> list[Path]:
        return sorted(mail_files(mail_dir) - mail_before)

    async def all_emailed() -> bool:
        return len(new_mail()) >= PEOPLE and (await funnel())["emailed"] >= PEOPLE

    await wait_for(f"{PEOPLE} invitation emails", all_emailed)
    print(
        f"{len(new_mail())} invitation emails in {mail_dir} after {time.monotonic() - started:.1f}s"
    )

    invitations = new_mail()
    first = invitations[0]
    person_email = str(read_message(first)["To"])
    link = accept_link(first)
    async with httpx.AsyncClient(timeout=30) as person:
        form = await person.get(link)
        assert form.status_code == 200 and "<form" in form.text, form.text[:500]
        token = link.split("token=", 1)[1]
        welcome = await person.post(
            link.split("?", 1)[0],
            data={
                **hidden_fields(form.text),  # the token and the form's CSRF token
                "token": token,
                "first_name": "Ada",
                "last_name": "Lovelace",
                "username": f"ada-{run}",
                "password": "correct horse battery staple",
            },
        )
        assert welcome.status_code == 201, welcome.text[:500]
    print("one person opened their link and registered")

    async def one_active() -> bool:
        return (await funnel())["active"] >= 1

    await wait_for("the registered enrolment to turn active", one_active)

    def welcome_mail() -> list[Path]:
        return [
            path
            for path in sorted(mail_files(mail_dir) - mail_before - set(invitations))
            if read_message(path)["X-Notification-Kind"] == "welcome"
        ]

    async def welcomed() -> bool:
        return bool(welcome_mail())

    await wait_for("the welcome email", welcomed, timeout_s=60)
    print(f"welcome email to {person_email}: {read_message(welcome_mail()[0])['Subject']}")
    counts = await funnel()
    emails = len(invitations)
    print()
    print(f"  {'enrolled':<11}{counts['enrolled']:>6}")
    print(f"  {'invited':<11}{counts['invited']:>6}")
    where = f"({emails} invitation .eml files in {mail_dir})"
    print(f"  {'emailed':<11}{counts['emailed']:>6}   {where}")
    print(f"  {'registered':<11}{counts['registered']:>6}")
    print(f"  {'active':<11}{counts['active']:>6}")
    await admin.aclose()


if __name__ == "__main__":
    asyncio.run(main())
