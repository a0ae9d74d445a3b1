"""The Prometheus text format, as the services answer `GET /metrics`: read into samples.

Only the sample lines are read, `name{label="value",...} value [timestamp]`; `# HELP` and
`# TYPE` lines and blank ones are skipped. The CLI does not depend on prometheus-client (a
service's runtime library) for the few lines it reads, so this is the whole parser.
"""

import re
from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass

Labels = tuple[tuple[str, str], ...]  # sorted (name, value) pairs: one series' identity

_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(,)?')
_UNESCAPE = {"\\\\": "\\", '\\"': '"', "\\n": "\n"}
_ESCAPE = re.compile(r"\\[\\\"n]")


class MetricsTextError(ValueError):
    """A line that is not a sample of the text format."""


@dataclass(frozen=True)
class Sample:
    name: str
    labels: Labels
    value: float

    def label(self, name: str) -> str | None:
        return dict(self.labels).get(name)


def parse_samples(text: str) -> list[Sample]:
    """Every sample of `text`, in order; a malformed line raises `MetricsTextError`."""
    samples = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            samples.append(_sample(line))
        except ValueError as error:
            raise MetricsTextError(f"line {number}: {error}") from None
    return samples


def _sample(line: str) -> Sample:
    name = _NAME.match(line)
    if name is None:
        raise ValueError(f"no metric name in {line[:80]!r}")
    rest = line[name.end() :].lstrip()
    labels: list[tuple[str, str]] = []
    if rest.startswith("{"):
        position = 1
        while not rest[position:].lstrip().startswith("}"):
            label = _LABEL.match(rest, position)
            if label is None:
                raise ValueError(f"bad labels in {line[:80]!r}")
            value = _ESCAPE.sub(lambda m: _UNESCAPE[m.group()], label.group(2))
            labels.append((label.group(1), value))
            position = label.end()
            if label.group(3) is None:  # no comma: the closing brace must come next
                break
        close = rest.find("}", position)
        if close < 0 or rest[position:close].strip():
            raise ValueError(f"bad labels in {line[:80]!r}")
        rest = rest[close + 1 :]
    fields = rest.split()
    if len(fields) not in (1, 2):  # the value, and perhaps a timestamp
        raise ValueError(f"no value in {line[:80]!r}")
    return Sample(name.group(), tuple(sorted(labels)), float(fields[0]))


@dataclass(frozen=True)
class Scrape:
    """One service's samples, read at `at` (seconds on a monotonic clock)."""

    at: float
    samples: Sequence[Sample]

    def series(
        self, name: str, match: Mapping[str, Container[str]] | None = None
    ) -> dict[Labels, float]:
        """The value of each series of `name` whose labels are in `match` (name: the values
        allowed)."""
        match = match or {}
        return {
            sample.labels: sample.value
            for sample in self.samples
            if sample.name == name
            and all(sample.label(k) in allowed for k, allowed in match.items())
        }

    def total(self, name: str, match: Mapping[str, Container[str]] | None = None) -> float | None:
        """The sum of those series; None when there is none."""
        found = self.series(name, match)
        return sum(found.values()) if found else None
