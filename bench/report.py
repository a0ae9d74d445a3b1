"""Measurements, and the one table a run prints."""

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Target:
    text: str  # as printed, e.g. "≥ 50,000"
    met: Callable[[float], bool]


def _shown(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:g}"


def at_least(value: float, unit: str = "") -> Target:
    return Target(f"≥ {_shown(value)}{unit}", lambda measured: measured >= value)


def at_most(value: float, unit: str = "") -> Target:
    return Target(f"≤ {_shown(value)}{unit}", lambda measured: measured <= value)


@dataclass(frozen=True)
class Measurement:
    case: str
    value: float | None  # None: the case did not complete
    unit: str
    target: Target | None = None
    note: str = ""

    @property
    def verdict(self) -> str:
        if self.value is None:
            return "FAILED"
        if self.target is None:
            return ""
        return "yes" if self.target.met(self.value) else "no"

    def as_dict(self) -> dict[str, Any]:
        return {
            "case": self.case,
            "value": self.value,
            "unit": self.unit,
            "target": self.target.text if self.target else None,
            "met": self.verdict or None,
            "note": self.note,
        }


def failed(case: str, unit: str, target: Target | None, error: BaseException) -> Measurement:
    return Measurement(case, None, unit, target, note=f"{type(error).__name__}: {error}")


@dataclass
class Report:
    measurements: list[Measurement] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # lines printed under the table
    details: dict[str, Any] = field(default_factory=dict)  # kept in results.json only

    def add(self, *measurements: Measurement) -> None:
        self.measurements.extend(measurements)

    @property
    def any_failed(self) -> bool:
        return any(m.value is None for m in self.measurements)

    def table(self) -> str:
        rows = [("case", "measured", "unit", "target", "met")]
        rows += [
            (
                m.case,
                _number(m.value) if m.value is not None else "—",
                m.unit,
                m.target.text if m.target else "",
                m.verdict,
            )
            for m in self.measurements
        ]
        return markdown(rows, right_aligned={1})

    def write(self, path: Path, header: dict[str, Any]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        document = {
            **header,
            "measurements": [m.as_dict() for m in self.measurements],
            "notes": self.notes,
            "details": self.details,
        }
        path.write_text(json.dumps(document, indent=2, default=str) + "\n")


def _number(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:,.1f}"
    return f"{value:,.2f}"


def markdown(rows: Sequence[Sequence[str]], right_aligned: set[int]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]

    def line(row: Sequence[str]) -> str:
        cells = [
            cell.rjust(widths[i]) if i in right_aligned else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        return "| " + " | ".join(cells) + " |"

    rule = "|" + "|".join(
        "-" * (w + 1) + ":" if i in right_aligned else "-" * (w + 2) for i, w in enumerate(widths)
    )
    return "\n".join([line(rows[0]), rule + "|", *(line(row) for row in rows[1:])])
