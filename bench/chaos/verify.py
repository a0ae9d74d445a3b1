"""What the run left behind, read from the four databases, the broker and the mailbox, and
judged against what should be there.

For every person in the file: exactly one enrolment; an email in the mailbox (else the
person is lost); `invited` with `emailed_at` set, or `active` (with the account's id) when
the registration database holds an active account for them, and nobody outside the sample
has one. For every sampled person who was told `201`: exactly one account, active. Extra
messages (beyond a person's first) are charged to the fault that came between the first
copy and the next.
"""

from collections import Counter
from dataclasses import dataclass, field

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from bench.chaos.faults import Fault, cause_of
from bench.chaos.infra import OwnInfra
from bench.chaos.mailbox import Mailbox
from bench.chaos.registrations import Registration

UNEXPECTED_EXAMPLES = 10


@dataclass
class Outcome:
    people: int
    enrolments: int = 0
    emailed: int = 0  # people with at least one message
    lost: list[str] = field(default_factory=list)  # in the file, no message
    not_marked_emailed: int = 0  # enrolments with no emailed_at
    extra_copies: int = 0
    extra_same_message_id: int = 0  # a copy of the same notification, re-sent
    extra_per_fault: Counter[int] = field(default_factory=Counter)  # -1: no fault between
    # fault -> (earliest, latest) write time of its duplicates' first copies, in seconds
    # from the fault (negative: before it); -1 -> the same from the import's start
    first_copies: dict[int, tuple[float, float]] = field(default_factory=dict)
    # the same for the copies written again
    sent_again: dict[int, tuple[float, float]] = field(default_factory=dict)
    strangers: int = 0  # messages to addresses not in the file
    registered: int = 0  # sampled people told 201
    registration_failures: list[str] = field(default_factory=list)
    duplicate_accounts: int = 0  # accounts beyond one per person
    accounts_outside_sample: int = 0
    unexpected: list[str] = field(default_factory=list)  # enrolments not as expected
    statuses: Counter[str] = field(default_factory=Counter)
    invitation_problems: list[str] = field(default_factory=list)
    notification_problems: list[str] = field(default_factory=list)
    outbox_waiting: dict[str, int] = field(default_factory=dict)
    outbox_dead: dict[str, int] = field(default_factory=dict)
    dead_lettered: dict[str, int] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return bool(
            self.lost
            or self.duplicate_accounts
            or self.unexpected
            or self.registration_failures
            or self.enrolments != self.people
        )


async def verify(
    outcome: Outcome,
    *,
    infra: OwnInfra,
    emails: list[str],
    mailbox: Mailbox,
    faults: list[Fault],
    sample: list[Registration],
    sample_size: int,
    started_ns: int,
) -> None:
    expected = set(emails)
    _mail(outcome, expected, mailbox, faults, started_ns)
    rows = {name: await _fetch(infra.database_url(name), query) for name, query in QUERIES.items()}
    accounts: dict[str, list[asyncpg.Record]] = {}
    for account in rows["registration"]:
        accounts.setdefault(account["email"], []).append(account)
    active = {
        email: [a for a in found if a["status"] == "active"] for email, found in accounts.items()
    }
    _accounts(outcome, accounts, active, sample)
    if len(sample) < sample_size:
        outcome.registration_failures.append(
            f"{sample_size - len(sample)} of the sample found no email to register with"
        )
    _enrolments(outcome, rows["enrolment"], expected, active)
    _invitations(outcome, rows["invitation"], expected, active)
    _notifications(outcome, rows["notification"], expected)
    for name in ("enrolment", "invitation", "notification", "registration"):
        counts = await _fetch(infra.database_url(name), OUTBOX)
        outcome.outbox_waiting[name] = int(counts[0]["waiting"])
        outcome.outbox_dead[name] = int(counts[0]["dead"])
    outcome.dead_lettered = await dead_lettered(infra.kafka)


def _mail(
    outcome: Outcome, expected: set[str], mailbox: Mailbox, faults: list[Fault], started_ns: int
) -> None:
    outcome.emailed = len(expected & set(mailbox.copies))
    outcome.lost = sorted(expected - set(mailbox.copies))
    outcome.strangers = sum(len(c) for r, c in mailbox.copies.items() if r not in expected)
    for _, first, later in mailbox.extra_copies():
        outcome.extra_copies += 1
        outcome.extra_same_message_id += later.notification_id == first.notification_id
        cause = cause_of(faults, first.written_ns, later.written_ns)
        outcome.extra_per_fault[cause] += 1
        origin = faults[cause].injected_ns if cause >= 0 else started_ns
        _widen(outcome.first_copies, cause, (first.written_ns - origin) / 1e9)
        _widen(outcome.sent_again, cause, (later.written_ns - origin) / 1e9)


def _widen(spans: dict[int, tuple[float, float]], key: int, value: float) -> None:
    low, high = spans.get(key, (value, value))
    spans[key] = (min(low, value), max(high, value))


def _accounts(
    outcome: Outcome,
    accounts: dict[str, list[asyncpg.Record]],
    active: dict[str, list[asyncpg.Record]],
    sample: list[Registration],
) -> None:
    sampled = {p.email for p in sample}
    outcome.duplicate_accounts = sum(len(found) - 1 for found in accounts.values())
    outcome.accounts_outside_sample = sum(1 for email in accounts if email not in sampled)
    for person in sample:
        if not person.registered:
            outcome.registration_failures.append(f"{person.email} ({person.via}): {person.problem}")
            continue
        outcome.registered += 1
        if len(active.get(person.email, [])) != 1:
            outcome.registration_failures.append(
                f"{person.email}: told 201 but {len(active.get(person.email, []))} active "
                f"account(s), {len(accounts.get(person.email, []))} in all"
            )


def _enrolments(
    outcome: Outcome,
    enrolments: list[asyncpg.Record],
    expected: set[str],
    active: dict[str, list[asyncpg.Record]],
) -> None:
    outcome.enrolments = len(enrolments)
    seen: Counter[str] = Counter(e["email"] for e in enrolments)
    for email in sorted(expected - set(seen)):
        outcome.unexpected.append(f"{email}: no enrolment")
    for e in enrolments:
        email = e["email"]
        outcome.statuses[e["status"]] += 1
        outcome.not_marked_emailed += not e["emailed"]
        account = active.get(email, [])
        want = "active" if account else "invited"
        problems = []
        if email not in expected:
            problems.append("not in the file")
        if seen[email] > 1:
            problems.append(f"{seen[email]} enrolments")
        if e["status"] != want:
            problems.append(f"{e['status']}, expected {want}")
        if not e["invited"] or not e["emailed"]:
            problems.append("not marked invited and emailed")
        if e["failed"]:
            problems.append("marked failed")
        if account and e["account_id"] != account[0]["id"]:
            problems.append(f"account {e['account_id']} instead of {account[0]['id']}")
        if problems:
            outcome.unexpected.append(f"{email}: {'; '.join(problems)}")


def _invitations(
    outcome: Outcome,
    invitations: list[asyncpg.Record],
    expected: set[str],
    active: dict[str, list[asyncpg.Record]],
) -> None:
    per_person: Counter[str] = Counter(i["email"] for i in invitations)
    missing = len(expected - set(per_person))
    if missing:
        outcome.invitation_problems.append(f"{missing} people have no invitation")
    for email, count in per_person.items():
        if count > 1:
            outcome.invitation_problems.append(f"{email}: {count} invitations")
    for i in invitations:
        account = active.get(i["email"], [])
        want = "accepted" if account else "pending"
        if i["status"] != want or i["send_count"] != 1:
            outcome.invitation_problems.append(
                f"{i['email']}: {i['status']} (send count {i['send_count']}), expected {want}"
            )


def _notifications(
    outcome: Outcome, notifications: list[asyncpg.Record], expected: set[str]
) -> None:
    per_person: Counter[str] = Counter(n["recipient"] for n in notifications)
    missing = len(expected - set(per_person))
    if missing:
        outcome.notification_problems.append(f"{missing} people have no notification row")
    for n in notifications:
        if per_person[n["recipient"]] > 1 or n["status"] != "sent":
            outcome.notification_problems.append(
                f"{n['recipient']}: {n['status']} ({per_person[n['recipient']]} rows)"
            )


QUERIES = {
    "enrolment": """SELECT lower(email) AS email, status, invited_at IS NOT NULL AS invited,
                           emailed_at IS NOT NULL AS emailed, failed_at IS NOT NULL AS failed,
                           account_id
                    FROM enrolments""",
    "invitation": "SELECT lower(email) AS email, status, send_count FROM invitations",
    "notification": """SELECT lower(recipient) AS recipient, status FROM messages
                       WHERE kind <> 'welcome'""",
    "registration": "SELECT lower(email) AS email, id, status FROM accounts",
}
OUTBOX = """SELECT (SELECT count(*) FROM outbox) AS waiting,
                   (SELECT count(*) FROM outbox_dead) AS dead"""


async def _fetch(url: str, query: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(url, timeout=10)
    try:
        rows: list[asyncpg.Record] = await conn.fetch(query, timeout=60)
        return rows
    finally:
        await conn.close()


async def dead_lettered(bootstrap_servers: str) -> dict[str, int]:
    """Records on every dead-letter topic (`<topic>.dlt`): an outage must park none."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        topics = [t for t in await admin.list_topics() if t.endswith(".dlt")]
    finally:
        await admin.close()
    if not topics:
        return {}
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers)
    await consumer.start()
    try:
        await consumer.topics()  # the cluster's metadata, partitions included
        counts: dict[str, int] = {}
        for topic in topics:
            partitions = [
                TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()
            ]
            ends = await consumer.end_offsets(partitions)
            starts = await consumer.beginning_offsets(partitions)
            counts[topic] = sum(ends[p] - starts[p] for p in partitions)
        return counts
    finally:
        await consumer.stop()
