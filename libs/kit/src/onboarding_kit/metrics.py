"""Prometheus metrics of one service process, served at `GET /metrics`.

Each `ServiceRuntime` owns a `ServiceMetrics` with its own `CollectorRegistry` (never the
global one), so several apps in one process, and tests, do not clash.

Labels stay bounded: HTTP routes are labelled by their path template
(`/v1/enrolments/{enrolment_id}`, or `unmatched`), events by their contract type, Kafka
partitions by number; only the business counters (`onboarding_people_total`) carry a
tenant, and nothing carries a person, an import or a request id.

The consumer and the relay report through the small protocols they declare
(`consumer.EventMetrics`, `outbox.OutboxMetrics`); `ServiceMetrics` implements both, so those
modules need no Prometheus import.
"""

import time
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

METRICS_PATH = "/metrics"
UNMATCHED = "unmatched"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class ServiceMetrics:
    """The metrics of one service, in a registry of their own."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.http_requests = Counter(
            "onboarding_http_requests",
            "HTTP requests answered, by route template and status.",
            ["service", "method", "route", "status"],
            registry=r,
        )
        self.http_duration = Histogram(
            "onboarding_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template.",
            ["service", "method", "route"],
            registry=r,
        )
        self.events_consumed = Counter(
            "onboarding_events_consumed",
            "Events consumed, by type and outcome (applied, duplicate, ignored, dead_lettered).",
            ["service", "event_type", "outcome"],
            registry=r,
        )
        self.handler_duration = Histogram(
            "onboarding_event_handler_duration_seconds",
            "Time a handler took inside the batch transaction (a batched handler is one "
            "observation for its run of events).",
            ["service", "event_type"],
            registry=r,
        )
        self.outbox_depth = Gauge(
            "onboarding_outbox_depth",
            "Rows waiting in the outbox, as last sampled by the relay.",
            ["service"],
            registry=r,
        )
        self.outbox_oldest_age = Gauge(
            "onboarding_outbox_oldest_age_seconds",
            "Age of the oldest row waiting in the outbox (0 when empty), as last sampled.",
            ["service"],
            registry=r,
        )
        self.outbox_published = Counter(
            "onboarding_outbox_published",
            "Outbox rows the relay published to Kafka.",
            ["service"],
            registry=r,
        )
        self.outbox_set_aside = Counter(
            "onboarding_outbox_set_aside",
            "Outbox rows the broker will never take, moved to outbox_dead.",
            ["service"],
            registry=r,
        )
        self.consumer_lag = Gauge(
            "onboarding_consumer_lag",
            "Records not consumed yet: a partition's end offset minus the group's committed "
            "offset, as last sampled.",
            ["service", "group", "topic", "partition"],
            registry=r,
        )
        self.dead_letter_messages = Gauge(
            "onboarding_dead_letter_messages",
            "Records on a dead-letter topic this service parks events on, as last sampled.",
            ["service", "topic"],
            registry=r,
        )
        self.notifications = Counter(
            "onboarding_notifications",
            "Messages by channel and what became of a try or of the message (sent, retried, "
            "failed, delivered, undelivered).",
            ["service", "channel", "outcome"],
            registry=r,
        )
        self.enrolment_to_notification = Histogram(
            "onboarding_enrolment_to_notification_seconds",
            "From the request that asked for a link (an enrolment, a resend...) to its "
            "message accepted by the mail server or the SMS provider.",
            ["service", "channel"],
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600),
            registry=r,
        )
        self.people = Counter(
            "onboarding_people",
            "People reaching a stage of onboarding (enrolled, invited, emailed, texted, "
            "registered, activated, expired, failed), by tenant.",
            ["service", "tenant", "stage"],
            registry=r,
        )
        self.import_stalled = Gauge(
            "onboarding_import_stalled_seconds",
            "The longest any import not settled yet has gone without progress (0: none).",
            ["service"],
            registry=r,
        )
        # Present from the start, so a rate over them is 0 rather than absent.
        for metric in (
            self.outbox_depth,
            self.outbox_oldest_age,
            self.outbox_published,
            self.outbox_set_aside,
        ):
            metric.labels(service)

    # consumer.EventMetrics
    def event_consumed(self, event_type: str, outcome: str, count: int = 1) -> None:
        if count:
            self.events_consumed.labels(self.service, event_type, outcome).inc(count)

    def handler_took(self, event_type: str, seconds: float) -> None:
        self.handler_duration.labels(self.service, event_type).observe(seconds)

    # outbox.OutboxMetrics
    def outbox_sampled(self, depth: int, oldest_age_s: float) -> None:
        self.outbox_depth.labels(self.service).set(depth)
        self.outbox_oldest_age.labels(self.service).set(oldest_age_s)

    def outbox_published_rows(self, count: int) -> None:
        if count:
            self.outbox_published.labels(self.service).inc(count)

    def outbox_set_aside_rows(self, count: int) -> None:
        if count:
            self.outbox_set_aside.labels(self.service).inc(count)

    # lag.LagMetrics
    def lag_sampled(self, group: str, topic: str, partition: int, lag: int) -> None:
        self.consumer_lag.labels(self.service, group, topic, str(partition)).set(lag)

    def dead_letters_sampled(self, topic: str, records: int) -> None:
        self.dead_letter_messages.labels(self.service, topic).set(records)

    # What the services count of their own work
    def notification_outcome(self, channel: str, outcome: str) -> None:
        self.notifications.labels(self.service, channel, outcome).inc()

    def notification_latency(self, channel: str, seconds: float) -> None:
        self.enrolment_to_notification.labels(self.service, channel).observe(max(seconds, 0.0))

    def people_reached(self, tenant: str, stage: str, count: int = 1) -> None:
        if count:
            self.people.labels(self.service, tenant, stage).inc(count)

    def imports_stalled_for(self, seconds: float) -> None:
        self.import_stalled.labels(self.service).set(seconds)

    # HTTP
    def http_answered(self, method: str, route: str, status: int, seconds: float) -> None:
        self.http_requests.labels(self.service, method, route, str(status)).inc()
        self.http_duration.labels(self.service, method, route).observe(seconds)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)

    def router(self) -> APIRouter:
        router = APIRouter()

        @router.get(METRICS_PATH, include_in_schema=False)
        async def metrics() -> Response:
            return Response(self.exposition(), media_type=CONTENT_TYPE_LATEST)

        return router


class HttpMetricsMiddleware:
    """Counts and times every HTTP request but `/metrics` itself, labelled by the template of
    the route that answered it (Starlette's router puts it in the scope)."""

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == METRICS_PATH:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # unless the app starts a response

        async def send_and_see(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_see)
        finally:
            method = scope["method"] if scope["method"] in _METHODS else "other"
            self.metrics.http_answered(
                method, route_template(scope), status, time.perf_counter() - started
            )


def route_template(scope: Scope) -> str:
    route: Any = scope.get("route")
    if isinstance(route, BaseRoute):
        path = getattr(route, "path", None)
        if isinstance(path, str):
            return path
    return UNMATCHED
