"""What a benchmark run is given: sizes from the command line or the environment."""

import argparse
import os
import time
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:55432/postgres"
LOCAL_KAFKA = "127.0.0.1:9092"
SMTP_SERVERS = ("smtp-sink", "aiosmtpd")  # Postfix's smtp-sink, or the sink the tests read
CASES = ("latency", "import", "end-to-end", "naive", "limits")
OPTIONAL_CASES = ("replicas",)  # slow (four stacks): run only when named in BENCH_CASES


@dataclass(frozen=True)
class BenchSettings:
    rows: int  # people per bulk case
    latency_tries: int
    postgres_url: str  # a maintenance database on a server where we may create databases
    kafka: str
    results_dir: Path  # kept after the run: results.json, CPU samples, the services' logs
    cases: tuple[str, ...] = CASES  # which cases run, in their fixed order
    smtp: str = SMTP_SERVERS[0]  # the stacks' mail server, one of SMTP_SERVERS

    def runs(self, case: str) -> bool:
        return case in self.cases

    def timeout_s(self, floor_s: float = 120, per_second: float = 100) -> float:
        """How long a bulk wait may take before the case counts as failed: generous, so a
        slow machine still finishes, but a stuck pipeline does not hang the run."""
        return floor_s + self.rows / per_second


def parse_settings(argv: list[str] | None = None) -> BenchSettings:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run",
        description="Run every benchmark case and print one table.",
    )
    parser.add_argument(
        "--rows",
        type=int,
        default=int(os.environ.get("BENCH_ROWS") or 100_000),
        help="people per bulk case (env BENCH_ROWS; default 100000)",
    )
    parser.add_argument(
        "--latency-tries",
        type=int,
        default=int(os.environ.get("BENCH_LATENCY_TRIES") or 200),
        help="single enrolments timed to their email (env BENCH_LATENCY_TRIES; default 200)",
    )
    parser.add_argument(
        "--postgres",
        default=os.environ.get("BENCH_POSTGRES_URL", LOCAL_POSTGRES),
        help="server URL of a user that may create databases",
    )
    parser.add_argument("--kafka", default=os.environ.get("BENCH_KAFKA", LOCAL_KAFKA))
    parser.add_argument(
        "--cases",
        default=os.environ.get("BENCH_CASES") or ",".join(CASES),
        help=(
            f"the cases to run, comma-separated (env BENCH_CASES; default all: {','.join(CASES)};"
            f" {','.join(OPTIONAL_CASES)} only when named)"
        ),
    )
    parser.add_argument(
        "--smtp",
        choices=SMTP_SERVERS,
        default=os.environ.get("BENCH_SMTP") or SMTP_SERVERS[0],
        help="the stacks' mail server (env BENCH_SMTP; default smtp-sink)",
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=REPO_ROOT / ".run" / "bench" / time.strftime("%Y%m%d-%H%M%S"),
        help="where to keep results.json, CPU samples and logs (default .run/bench/<time>)",
    )
    args = parser.parse_args(argv)
    if args.rows < 1 or args.latency_tries < 1:
        parser.error("--rows and --latency-tries must be at least 1")
    cases = tuple(c.strip() for c in args.cases.split(",") if c.strip())
    unknown = sorted(set(cases) - set(CASES) - set(OPTIONAL_CASES))
    if unknown or not cases:
        known = ", ".join((*CASES, *OPTIONAL_CASES))
        parser.error(f"unknown case(s) {', '.join(unknown) or '(none given)'}: {known}")
    return BenchSettings(
        rows=args.rows,
        latency_tries=args.latency_tries,
        postgres_url=args.postgres,
        kafka=args.kafka,
        results_dir=args.results.resolve(),
        cases=tuple(c for c in (*CASES, *OPTIONAL_CASES) if c in cases),
        smtp=args.smtp,
    )
