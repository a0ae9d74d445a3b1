"""The tables a chaos run prints, and the JSON document it keeps."""

import json
from collections import Counter
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any

from bench.chaos.faults import Fault
from bench.chaos.registrations import Registration
from bench.chaos.services import Exit
from bench.chaos.verify import UNEXPECTED_EXAMPLES, Outcome
from bench.report import markdown

ATTRIBUTION = (
    "How duplicates are counted and charged: the SMTP sink writes one .eml file per message "
    "it accepts, so the files are what was sent. A person's files are ordered by their write "
    "time (mtime); the first is their email, every later one a duplicate. A duplicate is "
    "charged to the first fault injected between the first copy's write time (less 5 s: a "
    "busy sink writes what a killed sender had already handed over a moment after the kill) "
    "and its own: the fault that struck while that message was in flight (handed to the "
    "server, its outcome not recorded yet), so that it was taken again once its lease ran "
    "out. The sender takes a message only for a free slot (SEND_CONCURRENCY per channel), "
    "so a fault can re-send no more than that. 'first copies written' and 'sent again' give "
    "the range of those write times in seconds from the fault (negative: before it). "
    "'same Message-ID' counts the duplicates that are the same notification (the same link) "
    "sent again; any other would be a second link."
)


def _verdict(ok: bool) -> str:
    return "yes" if ok else "NO"


def summary_table(
    outcome: Outcome,
    *,
    sample: int,
    drained_s: float | None,
    after_last_fault_s: float | None,
    drain_timeout_s: float,
    unplanned: list[Exit],
) -> str:
    n = outcome.people
    registered_once = outcome.registered - _told_201_but_wrong(outcome)
    dead = sum(outcome.dead_lettered.values()) + sum(outcome.outbox_dead.values())
    waiting = sum(outcome.outbox_waiting.values())
    drain = f"{drained_s:.1f} s" if drained_s is not None else "not drained"
    rows = [
        ("check", "measured", "expected", "ok"),
        ("people enrolled", f"{outcome.enrolments:,}", f"{n:,}", _verdict(outcome.enrolments == n)),
        ("people emailed", f"{outcome.emailed:,}", f"{n:,}", _verdict(outcome.emailed == n)),
        (
            "lost: enrolled, never emailed",
            f"{len(outcome.lost):,}",
            "0",
            _verdict(not outcome.lost),
        ),
        ("duplicate emails (beyond one per person)", f"{outcome.extra_copies:,}", "reported", ""),
        ("  of which the same Message-ID", f"{outcome.extra_same_message_id:,}", "all", ""),
        (
            "duplicate accounts",
            f"{outcome.duplicate_accounts:,}",
            "0",
            _verdict(not outcome.duplicate_accounts),
        ),
        (
            "sample registered, one active account each",
            f"{registered_once} of {sample}",
            f"{sample}",
            _verdict(not outcome.registration_failures),
        ),
        (
            "enrolments in an unexpected final state",
            f"{len(outcome.unexpected):,}",
            "0",
            _verdict(not outcome.unexpected),
        ),
        (
            "invitations in an unexpected state",
            f"{len(outcome.invitation_problems):,}",
            "0",
            _verdict(not outcome.invitation_problems),
        ),
        (
            "notification rows not one 'sent' per person",
            f"{len(outcome.notification_problems):,}",
            "0",
            _verdict(not outcome.notification_problems),
        ),
        ("events dead-lettered or set aside", f"{dead:,}", "0", _verdict(dead == 0)),
        ("outbox rows left unpublished", f"{waiting:,}", "0", _verdict(waiting == 0)),
        ("unplanned process exits", f"{len(unplanned)}", "0", _verdict(not unplanned)),
        ("time to drain: import sent → all emailed", drain, f"≤ {drain_timeout_s:.0f} s", ""),
    ]
    if after_last_fault_s is not None:
        rows.append(
            ("  of which after the last fault's recovery", f"{after_last_fault_s:.1f} s", "", "")
        )
    return markdown(rows, right_aligned={1})


def _told_201_but_wrong(outcome: Outcome) -> int:
    return sum(1 for p in outcome.registration_failures if "told 201" in p)


def faults_table(faults: list[Fault], outcome: Outcome, people: int) -> str:
    rows: list[tuple[str, ...]] = [
        (
            "#",
            "fault",
            "at",
            "emailed before",
            "restarted after",
            "all ready after",
            "registering",
            "duplicate emails",
            "first copies written",
            "sent again",
        ),
    ]
    for index, fault in enumerate(faults):
        if not fault.injected_ns:
            rows.append((str(index + 1), fault.label, "not injected", *[""] * 7))
            continue
        first = outcome.first_copies.get(index)
        again = outcome.sent_again.get(index)
        rows.append(
            (
                str(index + 1),
                fault.label,
                f"{fault.at_s:.1f} s",
                f"{fault.emailed_before:,} of {people:,}"
                + ("" if fault.threshold_reached else " (point not reached)"),
                f"{fault.restarted_after_s:.1f} s",
                f"{fault.ready_after_s:.1f} s" + (" (not all)" if fault.not_ready else ""),
                str(fault.registrations),
                f"{outcome.extra_per_fault.get(index, 0):,}",
                _span(first),
                _span(again),
            )
        )
    unexplained = f"{outcome.extra_per_fault.get(-1, 0):,}"
    first, again = outcome.first_copies.get(-1), outcome.sent_again.get(-1)
    rows.append(
        (
            "-",
            "no fault between the copies",
            "(times from the import)",
            *("",) * 4,
            unexplained,
            _span(first),
            _span(again),
        )
    )
    return markdown(rows, right_aligned={2, 3, 4, 5, 6, 7, 8, 9})


def _span(span: tuple[float, float] | None) -> str:
    """Seconds from the fault, signed: "-1.7…+0.2 s" (before it … after it)."""
    return f"{span[0]:+.1f}…{span[1]:+.1f} s" if span else ""


def details(outcome: Outcome, registrations: list[Registration]) -> list[str]:
    lines = []
    statuses = ", ".join(f"{s} {c:,}" for s, c in sorted(outcome.statuses.items()))
    lines.append(f"Final enrolment statuses: {statuses or 'none'}.")
    done = [p for p in registrations if p.registered]
    if done:
        retried = [p for p in done if any(a not in ("GET 200", "POST 201") for a in p.answers)]
        by_via = Counter(p.via for p in done)
        lines.append(
            f"Registrations: {len(done)} answered 201 ("
            + ", ".join(f"{count} through {via}" for via, count in sorted(by_via.items()))
            + f") after {sum(p.tries for p in done)} requests; {len(retried)} had to send "
            f"theirs again (at most {max(p.tries for p in done)} requests for one person)."
        )
    for title, found in (
        ("lost", outcome.lost),
        ("unexpected enrolments", outcome.unexpected),
        ("registrations not done", outcome.registration_failures),
        ("invitations", outcome.invitation_problems),
        ("notification rows", outcome.notification_problems),
    ):
        if found:
            lines.append(f"{title} ({len(found)}), e.g.:")
            lines += [f"  - {item}" for item in found[:UNEXPECTED_EXAMPLES]]
    if outcome.dead_lettered:
        lines.append(f"dead-letter topics: {outcome.dead_lettered}")
    if outcome.strangers:
        lines.append(f"{outcome.strangers} messages to addresses not in the file")
    return lines


def write_json(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, default=_jsonable) + "\n")


def _jsonable(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in fields(value)}  # json recurses
    if isinstance(value, set):
        return sorted(value)
    return str(value)
