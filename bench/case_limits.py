"""Case 5: the limits, what each piece of infrastructure takes on its own on this machine,
driven from one Python process with the same client libraries as the services:

- Kafka: N messages the size of an EnrolmentCreated event produced with the services'
  producer settings (acks=all, idempotent), then read back by one consumer;
- PostgreSQL: N rows COPied into the enrolment service's own `enrolments` table (its
  migrations applied to a fresh database), in one `copy_records_to_table`;
- the SMTP sink: N invitation-sized emails accepted by a fresh process of the bench's mail
  server (Postfix's smtp-sink by default, BENCH_SMTP) over the notification service's number
  of connections; and the same for the aiosmtpd sink the tests read, when the bench's is
  another, so the report shows both.
"""

import asyncio
import contextlib
import time
import uuid
from pathlib import Path

import aiosmtplib
import asyncpg
from aiokafka import AIOKafkaConsumer
from enrolment.settings import MIGRATIONS
from notification.settings import NotificationSettings
from onboarding_kit.db import KIT_MIGRATIONS, apply_migrations
from onboarding_kit.kafka import ensure_topics, new_producer

from bench.data import email_of, enrolment_created_payload, invitation_email_bytes
from bench.infra import (
    Probe,
    count_mail,
    database_name,
    delete_topics,
    fresh_database,
    new_run_id,
    smtp_sink,
    wait_until,
)
from bench.procstat import Labeller, sampled, standard_labeller
from bench.report import Measurement, Report
from bench.settings import BenchSettings

PARTITIONS = 6  # as the services' topics
SMTP_CONNECTIONS: int = NotificationSettings.model_fields["smtp_connections"].default
ENVELOPE_SENDER = "no-reply@onboarding.local"

COPY_COLUMNS = (
    "id",
    "tenant_id",
    "email",
    "name",
    "external_id",
    "role",
    "course",
    "channel",
    "status",
    "import_id",
)


async def run(settings: BenchSettings, report: Report) -> None:
    """Each limit is measured and reported on its own: one failing does not hide the rest."""
    for name, unit, measure in (
        ("Kafka", "msgs/s", _kafka),
        ("PostgreSQL COPY", "rows/s", _copy),
        ("SMTP sink", "emails/s", _smtp),
        *(
            [("aiosmtpd sink (tests)", "emails/s", _smtp_aiosmtpd)]
            if settings.smtp != "aiosmtpd"
            else []
        ),
    ):
        try:
            await measure(settings, report)
        except Exception as error:
            report.add(Measurement(f"limit: {name}", None, unit, note=f"{error!r}"[:300]))


def _record(report: Report, key: str, usage_lines: list[str], details: object) -> None:
    report.details.setdefault("cpu_lines", {})[key] = usage_lines
    report.details.setdefault("limits", {})[key] = details


async def _kafka(settings: BenchSettings, report: Report) -> None:
    rows = settings.rows
    prefix = f"bench.{new_run_id()}."
    topic = f"{prefix}limits"
    payload = enrolment_created_payload()
    keys = [str(uuid.uuid4()).encode() for _ in range(rows)]
    labeller = standard_labeller({}, kafka=settings.kafka)
    try:
        await ensure_topics(settings.kafka, [topic], PARTITIONS)
        producer = new_producer(settings.kafka, client_id="bench")
        await producer.start()
        try:
            async with sampled(labeller) as produce_usage:
                started = time.perf_counter()
                deliveries = [await producer.send(topic, value=payload, key=key) for key in keys]
                await asyncio.gather(*deliveries)  # every one acknowledged (acks=all)
                produce_s = time.perf_counter() - started
        finally:
            await producer.stop()
        consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=settings.kafka,
            group_id=None,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await consumer.start()
        try:
            async with sampled(labeller) as consume_usage:
                started = time.perf_counter()
                read = 0
                while read < rows:
                    batches = await consumer.getmany(timeout_ms=1000, max_records=10_000)
                    read += sum(len(records) for records in batches.values())
                    if time.perf_counter() - started > settings.timeout_s():
                        raise TimeoutError(f"read {read:,} of {rows:,} messages")
                consume_s = time.perf_counter() - started
        finally:
            await consumer.stop()
    finally:
        await delete_topics(settings.kafka, prefix)
    size = f"{len(payload):,}-byte values, {PARTITIONS} partitions"
    report.add(
        Measurement(
            "limit: Kafka produce (acks=all)",
            rows / produce_s,
            "msgs/s",
            note=f"{rows:,} {size}; {produce_s:.1f}s",
        ),
        Measurement(
            "limit: Kafka consume",
            rows / consume_s,
            "msgs/s",
            note=f"{rows:,} {size}; one consumer; {consume_s:.1f}s",
        ),
    )
    _record(report, "limit: Kafka produce", produce_usage.lines(), produce_usage.as_dict())
    _record(report, "limit: Kafka consume", consume_usage.lines(), consume_usage.as_dict())


async def _copy(settings: BenchSettings, report: Report) -> None:
    rows = settings.rows
    tenant, import_id = str(uuid.uuid4()), str(uuid.uuid4())
    records = [
        (
            str(uuid.uuid4()),
            tenant,
            email_of("copy", n),
            f"Person {n:06d}",
            f"S{n:06d}",
            "learner",
            "bench-copy",
            "email",
            "enrolled",
            import_id,
        )
        for n in range(1, rows + 1)
    ]
    async with fresh_database(settings, "copy") as url:
        conn = await asyncpg.connect(url)
        try:
            # The service's own schema: its keys, indexes and foreign key, whatever they become.
            await apply_migrations(conn, [("kit", KIT_MIGRATIONS), ("enrolment", MIGRATIONS)])
            await conn.execute(
                "INSERT INTO tenants (id, name, api_key_hash) VALUES ($1, 'bench', 'none')", tenant
            )
            await conn.execute(
                "INSERT INTO imports (id, tenant_id, course, status) "
                "VALUES ($1, $2, 'bench-copy', 'processing')",
                import_id,
                tenant,
            )
            labeller = standard_labeller({}, {database_name(url): "copy"}, settings.kafka)
            async with sampled(labeller, interval_s=0.5) as usage:
                started = time.perf_counter()
                await conn.copy_records_to_table(
                    "enrolments", records=records, columns=COPY_COLUMNS
                )
                elapsed = time.perf_counter() - started
        finally:
            await conn.close()
    report.add(
        Measurement(
            "limit: PostgreSQL COPY into enrolments",
            rows / elapsed,
            "rows/s",
            note=f"{rows:,} rows, one COPY into the service's table; {elapsed:.1f}s",
        )
    )
    _record(report, "limit: PostgreSQL COPY", usage.lines(), usage.as_dict())


async def _smtp_aiosmtpd(settings: BenchSettings, report: Report) -> None:
    await _smtp(settings, report, "aiosmtpd", "limit: aiosmtpd sink (tests)")


async def _smtp(
    settings: BenchSettings,
    report: Report,
    smtp: str | None = None,
    case: str = "limit: SMTP sink",
) -> None:
    rows = settings.rows
    message = invitation_email_bytes()
    async with smtp_sink(settings, "limits", smtp) as sink:
        remaining = rows

        async def sender() -> None:
            nonlocal remaining
            smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=sink.port, start_tls=False)
            await smtp.connect()
            try:
                while remaining > 0:
                    remaining -= 1
                    await smtp.sendmail(ENVELOPE_SENDER, [email_of("smtp", remaining)], message)
            finally:
                await smtp.quit()

        labeller: Labeller = standard_labeller(
            {sink.process.pid: "smtp sink"}, kafka=settings.kafka
        )
        async with sampled(labeller) as usage:
            started = time.perf_counter()
            await asyncio.gather(*(sender() for _ in range(SMTP_CONNECTIONS)))
            elapsed = time.perf_counter() - started
        # smtp-sink may write its count just after its reply: settle, briefly
        with contextlib.suppress(TimeoutError):
            await wait_until(
                "the sink's count",
                _counted(sink.directory, rows),
                timeout_s=10,
                interval_s=0.05,
            )
        mail = count_mail(sink.directory)
    if mail != rows:
        raise RuntimeError(f"{rows:,} emails sent but the sink counted {mail:,}")
    report.add(
        Measurement(
            f"{case} accepts",
            rows / elapsed,
            "emails/s",
            note=f"{rows:,} {len(message):,}-byte emails over {SMTP_CONNECTIONS} connections; "
            f"{elapsed:.1f}s",
        )
    )
    _record(report, case, usage.lines(), usage.as_dict())


def _counted(directory: Path, rows: int) -> Probe:
    async def probe() -> tuple[bool, str]:
        mail = count_mail(directory)
        return mail >= rows, f"{mail:,} of {rows:,}"

    return probe
