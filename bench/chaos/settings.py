"""What a chaos run is given: its size, its faults and its time limits."""

import argparse
import os
import time
from dataclasses import dataclass
from pathlib import Path

from onboarding_devtools.devstack import SERVICES

from bench.settings import REPO_ROOT

KAFKA = "kafka"
POSTGRES = "postgres"
FAULT_KINDS = (*SERVICES, KAFKA, POSTGRES)
# Every service in turn, then the broker, then the database.
FULL_FAULTS = (*SERVICES, KAFKA, POSTGRES)
# One of each kind: a service (notification, whose kill re-sends mail), the broker, the
# database. The database comes right after the broker, whose outage stops every stage and so
# leaves the most work in flight once it is back.
SMOKE_FAULTS = ("notification", KAFKA, POSTGRES)
FULL_PEOPLE = 20_000
SMOKE_PEOPLE = 2_000


@dataclass(frozen=True)
class ChaosSettings:
    people: int
    sample: int  # people registered through the public routes during the faults
    faults: tuple[str, ...]
    pause_s: float  # between a kill and the restart
    settle_s: float  # after every service is ready again, before the next fault may come
    results_dir: Path  # kept: report.json and the logs
    smoke: bool

    @property
    def drain_timeout_s(self) -> float:
        """From the last fault's recovery until every person is invited and emailed."""
        return 180 + self.people / 50

    @property
    def threshold_timeout_s(self) -> float:
        """How long a fault waits for the flow to reach its point before it comes anyway."""
        return 60 + self.people / 200

    ready_timeout_s: float = 180  # every service's /readyz after a fault
    registration_deadline_s: float = 240  # one person's registration, retries included


def parse_settings(argv: list[str] | None = None) -> ChaosSettings:
    parser = argparse.ArgumentParser(
        prog="python -m bench.chaos",
        description="Kill services, the broker and the database during an import; report "
        "lost people, duplicate emails and duplicate accounts.",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help=f"{SMOKE_PEOPLE:,} people and one fault of each kind ({', '.join(SMOKE_FAULTS)})",
    )
    parser.add_argument(
        "--people",
        type=int,
        default=int(os.environ["CHAOS_PEOPLE"]) if os.environ.get("CHAOS_PEOPLE") else None,
        help=f"people in the import (env CHAOS_PEOPLE; default {FULL_PEOPLE:,}, "
        f"{SMOKE_PEOPLE:,} with --smoke)",
    )
    parser.add_argument(
        "--sample",
        type=int,
        default=int(os.environ.get("CHAOS_SAMPLE") or 50),
        help="people registered during the faults (env CHAOS_SAMPLE; default 50)",
    )
    parser.add_argument(
        "--faults",
        default=os.environ.get("CHAOS_FAULTS"),
        help=f"comma-separated, in order, from {', '.join(FAULT_KINDS)} (env CHAOS_FAULTS; "
        f"default {','.join(FULL_FAULTS)}, or {','.join(SMOKE_FAULTS)} with --smoke)",
    )
    parser.add_argument(
        "--pause",
        type=float,
        default=float(os.environ.get("CHAOS_PAUSE_S") or 2),
        help="seconds between a kill and the restart (env CHAOS_PAUSE_S; default 2)",
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=REPO_ROOT / ".run" / "chaos" / time.strftime("%Y%m%d-%H%M%S"),
        help="where report.json and the logs are kept (default .run/chaos/<time>)",
    )
    args = parser.parse_args(argv)
    people = args.people or (SMOKE_PEOPLE if args.smoke else FULL_PEOPLE)
    if args.faults:
        faults = tuple(f.strip() for f in args.faults.split(",") if f.strip())
    else:
        faults = SMOKE_FAULTS if args.smoke else FULL_FAULTS
    unknown = [f for f in faults if f not in FAULT_KINDS]
    if unknown:
        parser.error(f"unknown fault(s) {', '.join(unknown)}; choose from {FAULT_KINDS}")
    if people < 1 or args.sample < 0 or not faults:
        parser.error("--people must be at least 1, --sample at least 0, and a fault is needed")
    if args.sample > people:
        parser.error("--sample cannot be larger than --people")
    return ChaosSettings(
        people=people,
        sample=args.sample,
        faults=faults,
        pause_s=max(0.0, args.pause),
        settle_s=2.0,
        results_dir=args.results.resolve(),
        smoke=args.smoke,
    )
