"""A development SMTP server that stores every message it accepts as a `.eml` file, named
so that the files sort in the order the messages arrived.

`python -m onboarding_devtools.smtp_sink --dir .run/mail --port 2525`

For fault tests it can behave like a busy real server: `--defer-rate 0.3` answers
`451 try again later` to that share of messages at random, `--close-rate 0.01` answers
`421 closing` (the server asks the sender to slow down) to that share; `--seed` makes the
draw repeatable. A deferred or refused message is not stored.
"""

import argparse
import asyncio
import contextlib
import os
import random
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class Faults:
    defer_rate: float = 0.0  # answered 451
    close_rate: float = 0.0  # answered 421
    seed: int | None = None


NO_FAULTS = Faults()


class MaildirSink:
    def __init__(self, directory: Path, faults: Faults = NO_FAULTS) -> None:
        self.directory = directory
        self.faults = faults
        self._draw = random.Random(faults.seed)
        self.deferred = 0
        self.closed = 0
        directory.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        draw = self._draw.random()
        if draw < self.faults.close_rate:
            self.closed += 1
            return "421 4.7.0 Too many messages, slow down; closing connection"
        if draw < self.faults.close_rate + self.faults.defer_rate:
            self.deferred += 1
            return "451 4.3.0 Try again later"
        name = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.eml"
        temporary = self.directory / f".{name}.tmp"
        temporary.write_bytes(envelope.original_content or envelope.content)
        os.replace(temporary, self.directory / name)  # readers never see half a message
        return "250 Message accepted for delivery"


def start_sink(
    directory: Path, host: str = "127.0.0.1", port: int = 2525, faults: Faults = NO_FAULTS
) -> Controller:
    controller = Controller(MaildirSink(directory, faults), hostname=host, port=port)
    controller.start()
    return controller


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2525)
    parser.add_argument("--defer-rate", type=float, default=0.0, help="share answered 451")
    parser.add_argument("--close-rate", type=float, default=0.0, help="share answered 421")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    faults = Faults(args.defer_rate, args.close_rate, args.seed)
    controller = start_sink(args.dir, args.host, args.port, faults)
    print(f"SMTP sink on {args.host}:{args.port}, writing to {args.dir}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(asyncio.Event().wait())
    controller.stop()


if __name__ == "__main__":
    main()
