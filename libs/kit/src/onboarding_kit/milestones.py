"""Which of a service's events mark a person reaching a stage of onboarding (enrolled,
invited, emailed, registered, ...), for the business counters
(`onboarding_people_total{tenant, stage}`). The outbox relay counts an event once the broker
has it, so a rolled-back transaction counts nothing."""

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

# From an event's `data`, the stage it marks (None: none, e.g. a resend's link).
StageOf = Callable[[Mapping[str, Any]], str | None]


def always(stage: str) -> StageOf:
    return lambda _: stage


@dataclass(frozen=True)
class Milestones:
    stages: Mapping[str, StageOf] = field(default_factory=dict)  # by event type

    def reached(self, event_type: str, payload: str) -> tuple[str, str] | None:
        """(tenant, stage) when this event marks one; the payload is read only then."""
        stage_of = self.stages.get(event_type)
        if stage_of is None:
            return None
        document = json.loads(payload)
        stage = stage_of(document.get("data") or {})
        return (str(document.get("tenantid", "")), stage) if stage else None
