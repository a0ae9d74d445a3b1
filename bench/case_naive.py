"""Case 4: the naive way, the yardstick for the distributed one.

One process reads the same CSV and, row by row: validates the person (the enrolment
service's own rules), inserts the enrolment, creates the invitation (a 256-bit token from
`secrets`, only its SHA-256 stored) in the same transaction, renders the email with the
notification service's own templates and sends it over one reused SMTP connection. Same
PostgreSQL server, same SMTP sink program; its own database with two plain tables.
"""

import csv
import io
import time
import uuid
from datetime import UTC, datetime

import aiosmtplib
import asyncpg
from enrolment.domain.people import validate_person
from invitation.domain.links import DEFAULT_TTL, accept_link, hash_token, new_token
from notification.domain.messages import MessageContent, write_email

from bench.data import SENDER, people_csv
from bench.infra import count_mail, database_name, fresh_database, new_run_id, smtp_sink
from bench.procstat import sampled, standard_labeller
from bench.report import Measurement, Report
from bench.settings import BenchSettings

REGISTRATION_URL = "http://127.0.0.1:8004"
COURSE = "bench-naive"

SCHEMA = """
CREATE TABLE enrolments (
    id           text        PRIMARY KEY,
    email        text        NOT NULL,
    name         text        NOT NULL,
    external_id  text        NOT NULL,
    course       text        NOT NULL,
    status       text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (course, email)
);
CREATE TABLE invitations (
    id            text        PRIMARY KEY,
    enrolment_id  text        NOT NULL UNIQUE REFERENCES enrolments (id),
    token_hash    bytea       NOT NULL UNIQUE,
    expires_at    timestamptz NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
"""


async def onboard(conn: asyncpg.Connection, smtp: aiosmtplib.SMTP, row: dict[str, str]) -> None:
    person = validate_person(email=row["email"], name=row["name"], external_id=row["id"])
    enrolment_id, invitation_id = str(uuid.uuid4()), str(uuid.uuid4())
    token = new_token()
    expires_at = datetime.now(UTC) + DEFAULT_TTL
    async with conn.transaction():
        await conn.execute(
            "INSERT INTO enrolments (id, email, name, external_id, course, status) "
            "VALUES ($1, $2, $3, $4, $5, 'invited')",
            enrolment_id,
            person.email,
            person.name,
            person.external_id,
            COURSE,
        )
        await conn.execute(
            "INSERT INTO invitations (id, enrolment_id, token_hash, expires_at) "
            "VALUES ($1, $2, $3, $4)",
            invitation_id,
            enrolment_id,
            hash_token(token),
            expires_at,
        )
    email = write_email(
        message_id=invitation_id,
        sender=SENDER,
        content=MessageContent(
            kind="invitation",
            locale=None,
            email=person.email,
            name=person.name,
            course=COURSE,
            link=accept_link(REGISTRATION_URL, token),
            expires_at=expires_at,
        ),
    )
    await smtp.sendmail(email.sender, [email.recipient], email.data)


async def run(settings: BenchSettings, report: Report) -> float:
    """Returns people/s."""
    rows = settings.rows
    text = people_csv(f"naive{new_run_id()}", rows).decode()
    async with fresh_database(settings, "naive") as url, smtp_sink(settings, "naive") as sink:
        conn = await asyncpg.connect(url)
        smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=sink.port, start_tls=False)
        try:
            await conn.execute(SCHEMA)
            await smtp.connect()
            labeller = standard_labeller(
                {sink.process.pid: "smtp sink"}, {database_name(url): "naive"}, settings.kafka
            )
            async with sampled(labeller) as usage:
                started = time.perf_counter()
                for row in csv.DictReader(io.StringIO(text)):
                    await onboard(conn, smtp, row)
                elapsed = time.perf_counter() - started
        finally:
            if smtp.is_connected:
                await smtp.quit()
            await conn.close()
        mail = count_mail(sink.directory)
    if mail != rows:
        raise RuntimeError(f"{rows:,} emails sent but the sink counted {mail:,}")
    people_per_s = rows / elapsed
    report.add(
        Measurement(
            "naive: one process, row by row",
            people_per_s,
            "people/s",
            note=f"{rows:,} people in {elapsed:.1f}s; one transaction and one email per row",
        )
    )
    report.details["naive"] = {"rows": rows, "seconds": elapsed, "cpu": usage.as_dict()}
    report.details.setdefault("cpu_lines", {})["naive"] = usage.lines()
    return people_per_s
