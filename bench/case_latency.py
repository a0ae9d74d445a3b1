"""Case 3: one enrolment (`POST /v1/enrolments`) to its email in the sink, at idle.

Idle matters: a consumer that found nothing in its last poll may be sleeping before the next
one, so a try that follows the previous email closely measures a warm pipeline, not an idle
one. Each try therefore starts after a random pause of 0.2-0.6 s: long enough for every
consumer to have gone idle, and spread over a whole poll cycle so each phase of it is
sampled rather than always the same one.
"""

import asyncio
import random
import statistics
import time

from bench.data import email_of
from bench.infra import Stack, count_mail, ensure_course
from bench.report import Measurement, Report, at_most

WARMUP = 3  # first requests open connections and warm caches; not counted
POLL_S = 0.002
PAUSE_S = (0.2, 0.6)  # between tries: a random pause in this range
TIMEOUT_S = 30


async def run(stack: Stack, tries: int, report: Report) -> None:
    course = "bench-latency"
    mail_dir = stack.config.mail_dir
    samples: list[float] = []
    pauses = random.Random(0)  # the same pauses on every run
    async with stack.admin() as client:
        await ensure_course(client, course)
        for n in range(-WARMUP, tries):
            before = count_mail(mail_dir)
            started = time.perf_counter()
            response = await client.post(
                "/v1/enrolments",
                json={
                    "email": email_of(f"latency{stack.run_id}", n + WARMUP),
                    "name": f"Person {n + WARMUP}",
                    "course": course,
                },
            )
            if response.status_code != 201:
                raise RuntimeError(f"POST /v1/enrolments: {response.status_code} {response.text}")
            while count_mail(mail_dir) <= before:
                if time.perf_counter() - started > TIMEOUT_S:
                    stack.check_alive()
                    raise TimeoutError(f"no email {TIMEOUT_S}s after enrolment {n + WARMUP}")
                await asyncio.sleep(POLL_S)
            if n >= 0:
                samples.append(1000 * (time.perf_counter() - started))
            await asyncio.sleep(pauses.uniform(*PAUSE_S))
    p50, p99 = percentile(samples, 50), percentile(samples, 99)
    note = (
        f"{tries} tries after {WARMUP} warm-up, each after a {PAUSE_S[0]}-{PAUSE_S[1]} s pause; "
        f"min {min(samples):.0f} ms, max {max(samples):.0f}"
    )
    report.add(
        Measurement("latency: enrolment → email, p50", p50, "ms", note=note),
        Measurement("latency: enrolment → email, p99", p99, "ms", at_most(100, " ms"), note=note),
    )
    report.details["latency_ms"] = [round(s, 1) for s in samples]


def percentile(samples: list[float], p: int) -> float:
    if len(samples) == 1:
        return samples[0]
    return statistics.quantiles(samples, n=100, method="inclusive")[p - 1]
