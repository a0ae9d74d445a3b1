"""Enrolments: who is enrolled into which course, and how far each person got."""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

import asyncpg
from onboarding_contracts.events import Channel, Role

from enrolment.domain.attributes import PHONE_DIGITS_SQL, FlagChanges, Flags, phone_digits
from enrolment.domain.people import EDITABLE_FIELDS
from enrolment.domain.selection import Selection
from enrolment.domain.statuses import INVITABLE, EnrolmentStatus, NewEnrolment
from enrolment.store.rows import Place, Rows, after_place, equal_to


@dataclass(frozen=True)
class Enrolment:
    id: str
    tenant_id: str
    email: str
    name: str
    external_id: str
    role: Role
    course: str
    cohort: str | None
    channel: Channel
    phone: str | None
    locale: str | None
    # The school's record of the person (seed 003).
    middle_name: str | None
    file_number: str | None
    tags: tuple[str, ...]
    flags: Flags
    sections: tuple[str, ...]
    status: EnrolmentStatus
    failure_reason: str | None  # with status failed: why the last link was not delivered
    import_id: str | None
    invitation_id: str | None
    account_id: str | None
    invitation_requested_at: datetime | None
    reminder_requested_at: datetime | None
    invited_at: datetime | None
    emailed_at: datetime | None
    failed_at: datetime | None
    registered_at: datetime | None
    activated_at: datetime | None
    cancelled_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @property
    def place(self) -> Place:
        """Where it is in a list: by creation, then id."""
        return (self.created_at, self.id)


ENROLMENT_FIELDS = tuple(f.name for f in fields(Enrolment))
_COLUMNS = ", ".join(ENROLMENT_FIELDS)


def enrolment_from(record: asyncpg.Record) -> Enrolment:
    values = {f: record[f] for f in ENROLMENT_FIELDS}
    values["status"] = EnrolmentStatus(values["status"])
    values["tags"] = tuple(values["tags"])
    values["sections"] = tuple(values["sections"])
    values["flags"] = json.loads(values["flags"])
    return Enrolment(**values)


def selection_where(selection: Selection, first_parameter: int) -> tuple[str, list[Any]]:
    """SQL conditions (after the tenant's) and their parameters, numbered from
    `first_parameter`."""
    columns = ("status", "role", "course", "cohort", "import_id")
    where, values = equal_to(
        ((column, getattr(selection, column)) for column in columns), first_parameter
    )
    if selection.text:
        values.append(f"%{_escape_like(selection.text.strip().lower())}%")
        n = first_parameter + len(values) - 1
        where += f" AND (lower(name) LIKE ${n} OR email LIKE ${n} OR lower(external_id) LIKE ${n})"

    def parameter(value: object) -> int:
        values.append(value)
        return first_parameter + len(values) - 1

    if selection.tags:
        where += f" AND tags @> ${parameter(list(selection.tags))}::text[]"
    if selection.sections:
        where += f" AND sections @> ${parameter(list(selection.sections))}::text[]"
    set_true = {name: True for name, wanted in selection.flags if wanted}
    if set_true:
        where += f" AND flags @> ${parameter(json.dumps(set_true))}::jsonb"
    for name, wanted in selection.flags:
        if not wanted:  # false, or never set
            where += f" AND NOT flags @> ${parameter(json.dumps({name: True}))}::jsonb"
    if selection.file_number is not None:
        where += f" AND file_number = ${parameter(selection.file_number.strip())}"
    if selection.phone is not None:
        digits = parameter(phone_digits(selection.phone))
        where += f" AND phone IS NOT NULL AND {PHONE_DIGITS_SQL} = ${digits}"
    return where, values


def _json_list(labels: tuple[str, ...]) -> str:
    return json.dumps(labels) if labels else "[]"


def _json_object(flags: Flags) -> str:
    return json.dumps(dict(flags)) if flags else "{}"


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class EnrolmentRows(Rows):
    async def insert_many(
        self,
        tenant_id: str,
        course: str,
        import_id: str | None,
        enrolments: Sequence[NewEnrolment],
        at: datetime,
    ) -> set[str]:
        """Insert new enrolments in one statement; return the ids inserted. A person already
        enrolled in the course is left as they are and their id is missing from the result."""
        if not enrolments:
            return set()
        rows = await self.conn.fetch(
            """INSERT INTO enrolments
                   (id, tenant_id, course, import_id, status, account_id, registered_at,
                    activated_at, invitation_requested_at, created_at, updated_at,
                    email, name, external_id, role, cohort, phone, channel, locale,
                    middle_name, file_number, tags, flags, sections)
               SELECT u.id, $1, $2, $3, u.status, u.account_id,
                      CASE WHEN u.account_id IS NULL THEN NULL ELSE $4::timestamptz END,
                      CASE WHEN u.account_id IS NULL THEN NULL ELSE $4::timestamptz END,
                      CASE WHEN u.invite THEN $4::timestamptz END,
                      $4, $4,
                      u.email, u.name, u.external_id, u.role, u.cohort, u.phone, u.channel,
                      u.locale, u.middle_name, u.file_number,
                      ARRAY(SELECT jsonb_array_elements_text(u.tags::jsonb)),
                      u.flags::jsonb,
                      ARRAY(SELECT jsonb_array_elements_text(u.sections::jsonb))
               FROM unnest($5::text[], $6::text[], $7::text[], $8::bool[], $9::text[],
                           $10::text[], $11::text[], $12::text[], $13::text[], $14::text[],
                           $15::text[], $16::text[], $17::text[], $18::text[], $19::text[],
                           $20::text[], $21::text[])
                    AS u(id, status, account_id, invite, email, name, external_id, role,
                         cohort, phone, channel, locale, middle_name, file_number, tags,
                         flags, sections)
               ON CONFLICT (tenant_id, course, email) DO NOTHING
               RETURNING id""",
            tenant_id,
            course,
            import_id,
            at,
            [e.id for e in enrolments],
            [e.status.value for e in enrolments],
            [e.account_id for e in enrolments],
            [e.invite for e in enrolments],
            [e.person.email for e in enrolments],
            [e.person.name for e in enrolments],
            [e.person.external_id for e in enrolments],
            [e.person.role for e in enrolments],
            [e.person.cohort for e in enrolments],
            [e.person.phone for e in enrolments],
            [e.person.channel for e in enrolments],
            [e.person.locale for e in enrolments],
            [e.person.attributes.middle_name for e in enrolments],
            [e.person.attributes.file_number for e in enrolments],
            # Lists of different lengths cannot be one SQL array: each row's is JSON.
            [_json_list(e.person.attributes.tags) for e in enrolments],
            [_json_object(e.person.attributes.flags) for e in enrolments],
            [_json_list(e.person.attributes.sections) for e in enrolments],
        )
        return {row["id"] for row in rows}

    async def get(
        self, tenant_id: str, enrolment_id: str, *, for_update: bool = False
    ) -> Enrolment | None:
        lock = " FOR UPDATE" if for_update else ""
        row = await self.conn.fetchrow(
            f"SELECT {_COLUMNS} FROM enrolments WHERE tenant_id = $1 AND id = $2{lock}",
            tenant_id,
            enrolment_id,
        )
        return enrolment_from(row) if row else None

    async def page(
        self, tenant_id: str, selection: Selection, after: Place | None, limit: int
    ) -> list[Enrolment]:
        """Up to `limit` of the selection in creation order, after the place `after`."""
        keyset, place = after_place(("created_at", "id"), after, first_parameter=2)
        where, values = selection_where(selection, first_parameter=2 + len(place))
        rows = await self.conn.fetch(
            f"""SELECT {_COLUMNS} FROM enrolments
                WHERE tenant_id = $1{keyset}{where}
                ORDER BY created_at, id
                LIMIT {int(limit)}""",
            tenant_id,
            *place,
            *values,
        )
        return [enrolment_from(r) for r in rows]

    async def flag_names(self, tenant_id: str, selection: Selection) -> list[str]:
        """The names of the flags anyone of the selection has set, in order."""
        where, values = selection_where(selection, first_parameter=2)
        rows = await self.conn.fetch(
            f"""SELECT DISTINCT jsonb_object_keys(flags) AS name FROM enrolments
                WHERE tenant_id = $1 AND flags <> '{{}}'::jsonb{where}
                ORDER BY name""",
            tenant_id,
            *values,
        )
        return [r["name"] for r in rows]

    async def invitable(self, tenant_id: str, selection: Selection) -> list[Enrolment]:
        """The selected enrolments an admin may invite now (`check_invitable`), locked;
        those another transaction holds are passed by."""
        where, values = selection_where(selection, first_parameter=3)
        rows = await self.conn.fetch(
            f"""SELECT {_COLUMNS} FROM enrolments
                WHERE tenant_id = $1 AND status = $2 AND invitation_requested_at IS NULL{where}
                FOR UPDATE SKIP LOCKED""",
            tenant_id,
            INVITABLE.value,
            *values,
        )
        return [enrolment_from(r) for r in rows]

    async def mark_invitation_requested(self, enrolment_ids: Sequence[str], at: datetime) -> None:
        await self.conn.execute(
            "UPDATE enrolments SET invitation_requested_at = $2, updated_at = $2 "
            "WHERE id = ANY($1::text[])",
            list(enrolment_ids),
            at,
        )

    async def change(
        self, enrolment_id: str, changes: Mapping[str, object], at: datetime
    ) -> Enrolment:
        """Set validated editable fields (`validate_changes`); flags are merged with those
        stored (`FlagChanges`), in the statement, so concurrent changes of different flags
        both hold."""
        assert set(changes) <= set(EDITABLE_FIELDS), "only editable columns are ever set"
        assignments: list[str] = []
        values: list[object] = []

        def parameter(value: object) -> int:
            values.append(value)
            return 2 + len(values)

        for column, value in changes.items():
            if isinstance(value, FlagChanges):
                merged = f"flags || ${parameter(_json_object(value.set))}::jsonb"
                assignments.append(
                    f"flags = ({merged}) - ${parameter(list(value.removed))}::text[]"
                )
            elif isinstance(value, tuple):
                assignments.append(f"{column} = ${parameter(list(value))}::text[]")
            else:
                assignments.append(f"{column} = ${parameter(value)}")
        row = await self.conn.fetchrow(
            f"UPDATE enrolments SET {', '.join(assignments)}, updated_at = $2 WHERE id = $1 "
            f"RETURNING {_COLUMNS}",
            enrolment_id,
            at,
            *values,
        )
        return enrolment_from(row)

    async def cancel(self, enrolment_id: str, at: datetime) -> Enrolment:
        row = await self.conn.fetchrow(
            f"""UPDATE enrolments SET status = $2, cancelled_at = $3, updated_at = $3
                WHERE id = $1 RETURNING {_COLUMNS}""",
            enrolment_id,
            EnrolmentStatus.CANCELLED.value,
            at,
        )
        return enrolment_from(row)

    async def status_for_update(self, enrolment_id: str) -> EnrolmentStatus | None:
        status = await self.conn.fetchval(
            "SELECT status FROM enrolments WHERE id = $1 FOR UPDATE", enrolment_id
        )
        return EnrolmentStatus(status) if status else None

    async def statuses_for_update(self, enrolment_ids: Sequence[str]) -> dict[str, EnrolmentStatus]:
        rows = await self.conn.fetch(
            "SELECT id, status FROM enrolments WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE",
            list(enrolment_ids),
        )
        return {r["id"]: EnrolmentStatus(r["status"]) for r in rows}

    async def mark_invited(
        self, invited: Sequence[tuple[str, EnrolmentStatus, str, datetime]], at: datetime
    ) -> None:
        """(enrolment id, new status, invitation id, when) for each enrolment sent a new
        link: a failure to deliver an earlier one is history now."""
        if not invited:
            return
        ids, statuses, invitation_ids, times = zip(*invited, strict=True)
        await self.conn.execute(
            """UPDATE enrolments e SET status = u.status, invitation_id = u.invitation_id,
                   invited_at = coalesce(e.invited_at, u.at), failure_reason = NULL,
                   updated_at = $5
               FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[])
                    AS u(id, status, invitation_id, at)
               WHERE e.id = u.id""",
            list(ids),
            [s.value for s in statuses],
            list(invitation_ids),
            list(times),
            at,
        )

    async def set_statuses(
        self, statuses: Sequence[tuple[str, EnrolmentStatus]], at: datetime
    ) -> None:
        """(enrolment id, new status) for each enrolment whose status an event moved."""
        if not statuses:
            return
        ids, values = zip(*statuses, strict=True)
        await self.conn.execute(
            """UPDATE enrolments e SET status = u.status, updated_at = $3
               FROM unnest($1::text[], $2::text[]) AS u(id, status)
               WHERE e.id = u.id AND e.status <> u.status""",
            list(ids),
            [s.value for s in values],
            at,
        )

    async def mark_emailed(self, emailed: Sequence[tuple[str, datetime]], at: datetime) -> None:
        """(enrolment id, when) for each enrolment whose invitation was delivered."""
        if not emailed:
            return
        ids, times = zip(*emailed, strict=True)
        await self.conn.execute(
            """UPDATE enrolments e SET emailed_at = coalesce(e.emailed_at, u.at), updated_at = $3
               FROM unnest($1::text[], $2::timestamptz[]) AS u(id, at)
               WHERE e.id = u.id""",
            list(ids),
            list(times),
            at,
        )

    async def mark_delivery_failed(
        self, failed: Sequence[tuple[str, EnrolmentStatus, str | None, datetime]], at: datetime
    ) -> None:
        """(enrolment id, new status, reason, when) for each enrolment whose current link
        could not be delivered."""
        if not failed:
            return
        ids, statuses, reasons, times = zip(*failed, strict=True)
        await self.conn.execute(
            """UPDATE enrolments e SET status = u.status, failure_reason = u.reason,
                   failed_at = u.at, updated_at = $5
               FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[])
                    AS u(id, status, reason, at)
               WHERE e.id = u.id""",
            list(ids),
            [s.value for s in statuses],
            list(reasons),
            list(times),
            at,
        )

    async def mark_registered(
        self,
        enrolment_id: str,
        account_id: str,
        status: EnrolmentStatus,
        registered_at: datetime,
        at: datetime,
    ) -> None:
        await self.conn.execute(
            """UPDATE enrolments SET account_id = $2, status = $3,
                   registered_at = coalesce(registered_at, $4), updated_at = $5
               WHERE id = $1""",
            enrolment_id,
            account_id,
            status.value,
            registered_at,
            at,
        )

    async def activate_known(
        self, known: Sequence[tuple[str, str]], at: datetime
    ) -> list[Enrolment]:
        """(enrolment id, account id) for each person found to have an account in the
        tenant by the time they were to be invited: active now, as if enrolled today."""
        if not known:
            return []
        ids, account_ids = zip(*known, strict=True)
        rows = await self.conn.fetch(
            f"""UPDATE enrolments e SET status = $3, account_id = u.account_id,
                   registered_at = coalesce(e.registered_at, $4),
                   activated_at = coalesce(e.activated_at, $4), updated_at = $4
                FROM unnest($1::text[], $2::text[]) AS u(id, account_id)
                WHERE e.id = u.id
                RETURNING {", ".join(f"e.{f}" for f in ENROLMENT_FIELDS)}""",
            list(ids),
            list(account_ids),
            EnrolmentStatus.ACTIVE.value,
            at,
        )
        return [enrolment_from(r) for r in rows]

    async def mark_activated(
        self,
        enrolment_id: str,
        status: EnrolmentStatus,
        account_id: str,
        activated_at: datetime,
        at: datetime,
    ) -> Enrolment:
        row = await self.conn.fetchrow(
            f"""UPDATE enrolments SET status = $2, account_id = $3,
                   activated_at = coalesce(activated_at, $4), updated_at = $5
                WHERE id = $1 RETURNING {_COLUMNS}""",
            enrolment_id,
            status.value,
            account_id,
            activated_at,
            at,
        )
        return enrolment_from(row)
