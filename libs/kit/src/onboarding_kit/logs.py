"""Structured logs: one JSON object per line on stderr, with whatever `extra=` adds and the
current trace's id (`trace_id`) inside a traced request, event or send."""

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from onboarding_kit.tracing import current_trace_id

_STANDARD_ATTRIBUTES = set(vars(logging.makeLogRecord({})))


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(
            (key, value)
            for key, value in vars(record).items()
            if key not in _STANDARD_ATTRIBUTES and not key.startswith("_")
        )
        trace_id = current_trace_id()
        if trace_id is not None:
            entry.setdefault("trace_id", trace_id)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Kafka clients log every rebalance and reconnect at INFO; keep them to warnings.
    for noisy in ("aiokafka", "kafka", "faststream.access", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
