"""One service process: FastAPI routes and FastStream subscribers over one pool.

`ServiceRuntime` is what every service shares: it opens the database pool, applies the
migrations, creates the topics, starts the Kafka producer, the subscribers and the outbox
relay, and stops them in reverse order. A service's `bootstrap.py` builds its typed
dependencies over the runtime (`runtime.unit_of_work(...)`); its `app.py` only wires its
routes and subscriptions.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import uvicorn
from aiokafka import AIOKafkaProducer
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from faststream.specification import AsyncAPI
from onboarding_contracts import Envelope, Topic, topic_of
from onboarding_contracts.topics import dead_letter_topic

from onboarding_kit.clock import utcnow
from onboarding_kit.consumer import EventConsumer, Subscriptions
from onboarding_kit.db import KIT_MIGRATIONS, apply_migrations, create_pool
from onboarding_kit.dead_letters import DeadLetters
from onboarding_kit.kafka import TopicNames, ensure_topics, new_producer
from onboarding_kit.lag import LagSampler
from onboarding_kit.logs import configure_logging
from onboarding_kit.metrics import HttpMetricsMiddleware, ServiceMetrics
from onboarding_kit.milestones import Milestones
from onboarding_kit.ops import ops_router
from onboarding_kit.outbox import OutboxRelay
from onboarding_kit.problems import install_problems
from onboarding_kit.scheduler import PeriodicJob, Scheduler, prune_inbox
from onboarding_kit.settings import ServiceSettings
from onboarding_kit.tracing import configure_tracing
from onboarding_kit.uow import Tx, UnitOfWork
from onboarding_kit.workers import Worker

log = logging.getLogger(__name__)

CONTRACTS_VERSION = version("onboarding-contracts")
STOP_STEP_TIMEOUT_S = 10  # a Kafka client that does not stop in this time is left behind

Dependencies = TypeVar("Dependencies")


class ServiceRuntime:
    def __init__(
        self,
        settings: ServiceSettings,
        *,
        migrations: Path,
        subscriptions: Subscriptions[Any] | None = None,
        jobs: Sequence[PeriodicJob] = (),
        on_stop: Sequence[Callable[[], Awaitable[None]]] = (),
        emits: Sequence[type[Envelope]] = (),
        milestones: Milestones | None = None,
    ) -> None:
        self.settings = settings
        self.milestones = milestones
        self.migrations = migrations
        self.subscriptions = subscriptions
        self.jobs = [
            prune_inbox(timedelta(hours=settings.inbox_retention_hours)),
            *jobs,
        ]
        self.on_stop = list(on_stop)
        self.emits = list(emits)
        self.topics = TopicNames(settings.kafka_topic_prefix)
        self.metrics = ServiceMetrics(settings.service_name)
        self._pool: asyncpg.Pool | None = None
        self._producer: AIOKafkaProducer | None = None
        self.broker: KafkaBroker | None = None
        self.consumer: EventConsumer[Any] | None = None
        self.relay: OutboxRelay | None = None
        self._relay_task: asyncio.Task[None] | None = None
        self.scheduler: Scheduler | None = None
        self._scheduler_task: asyncio.Task[None] | None = None
        self.workers: list[Worker] = []
        self._started_at = time.monotonic()
        self._worker_tasks: list[asyncio.Task[None]] = []

    @property
    def dead_letters(self) -> DeadLetters:
        return DeadLetters(
            bootstrap_servers=self.settings.kafka_bootstrap_servers,
            topics=self.topics,
            consumer=self.settings.service_name,
            pool=self.pool,
        )

    def unit_of_work(self, transaction: Callable[[asyncpg.Connection], Tx]) -> UnitOfWork[Tx]:
        """Transactions of this type over this service's pool (once it has started)."""
        return UnitOfWork(lambda: self.pool, transaction)

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("the service has not started")
        return self._pool

    @property
    def producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            raise RuntimeError("the service has not started")
        return self._producer

    async def start(self) -> None:
        s = self.settings
        self._pool = await create_pool(s.database_url, size=s.db_pool_size)
        async with self.pool.acquire() as conn:
            await apply_migrations(
                conn, [("kit", KIT_MIGRATIONS), (s.service_name, self.migrations)]
            )
        await ensure_topics(s.kafka_bootstrap_servers, self.topics.all(), s.kafka_partitions)
        self._producer = new_producer(s.kafka_bootstrap_servers, client_id=s.service_name)
        await self.producer.start()
        self.relay = OutboxRelay(
            pool=self.pool,
            dsn=s.database_url,
            producer=self.producer,
            topics=self.topics,
            batch_size=s.outbox_batch_size,
            poll_interval_s=s.outbox_poll_interval_s,
            metrics=self.metrics,
            milestones=self.milestones,
        )
        self._relay_task = asyncio.create_task(self.relay.run(), name="outbox-relay")
        self.scheduler = Scheduler(self.pool, self.jobs)
        self._scheduler_task = asyncio.create_task(self.scheduler.run(), name="scheduler")
        self.broker = KafkaBroker(
            s.kafka_bootstrap_servers,
            client_id=s.service_name,
            logger=log,
            # FastStream's own figures for the subscriber (faststream_received_*), beside
            # the kit's per event type; served at /metrics from the service's registry.
            middlewares=[
                KafkaPrometheusMiddleware(registry=self.metrics.registry, app_name=s.service_name)
            ],
        )
        self._describe_emitted_events(self.broker)
        if self.subscriptions is not None:
            self.consumer = EventConsumer(
                name=s.service_name,
                pool=self.pool,
                producer=self.producer,
                topics=self.topics,
                subscriptions=self.subscriptions,
                max_attempts=s.consumer_max_attempts,
                batch_size=s.consumer_batch_size,
                metrics=self.metrics,
            )
            self.consumer.subscribe(self.broker)
            self.workers.append(
                LagSampler(
                    bootstrap_servers=s.kafka_bootstrap_servers,
                    group=self.consumer.group,
                    consumer=self.consumer.name,
                    topics=self.consumer.topic_names,
                    peer_groups_prefix=s.kafka_topic_prefix,
                    platform_topics=[self.topics.name(t) for t in Topic],
                    dead_letter_topics=[dead_letter_topic(t) for t in self.consumer.topic_names],
                    metrics=self.metrics,
                    pool=self.pool,
                    interval_s=s.lag_sample_interval_s,
                )
            )
        await self.broker.start()
        self._started_at = time.monotonic()
        self._worker_tasks = [
            asyncio.create_task(worker.run(), name=worker.name) for worker in self.workers
        ]
        log.info("service started", extra={"port": s.http_port})

    def _describe_emitted_events(self, broker: KafkaBroker) -> None:
        """Declare what this service publishes, for the AsyncAPI document only: the events
        themselves go out through the outbox relay."""
        for event in self.emits:
            broker.publisher(
                self.topics.name(topic_of(event.event_type)),
                title=event.event_type,
                description=(event.__doc__ or "").strip(),
                schema=event,
            )

    def asyncapi(self) -> dict[str, Any]:
        """The AsyncAPI 3 document of this service: the events it publishes (with their
        schemas), and the topics it consumes."""
        if self.broker is None:
            raise RuntimeError("the service has not started")
        document = AsyncAPI(
            self.broker,
            title=f"Onboarding {self.settings.service_name} events",
            version=CONTRACTS_VERSION,
            description="Every event is a CloudEvents 1.0 JSON document keyed by its subject.",
        )
        jsonable: dict[str, Any] = document.to_specification().to_jsonable()
        return jsonable

    async def stop(self) -> None:
        """Stop in reverse order of starting. Each step is bounded: a Kafka client can hang
        in its stop (a heartbeat or rebalance in flight), and a stuck step must not keep the
        process, or the next step, from ending."""
        if self.broker is not None:
            await _bounded("subscribers", self.broker.stop())
        for worker in self.workers:
            await _bounded(worker.name, worker.stop())
        for worker_task in self._worker_tasks:
            # A worker that did not finish in its time is cancelled.
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(worker_task, STOP_STEP_TIMEOUT_S)
        for task in (self._relay_task, self._scheduler_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        for close in self.on_stop:
            await _bounded("adapter", close())
        if self._producer is not None:
            await _bounded("producer", self._producer.stop())
        if self._pool is not None:
            await _bounded("database pool", self._pool.close())

    async def readiness(self) -> dict[str, bool]:
        """Whether the service can do its job: its database and broker answer, its consumer
        holds partitions (after a grace period for the group to settle), and its outbox is
        not stuck (its oldest row younger than OUTBOX_STUCK_S)."""
        checks = {"database": False, "broker": False}
        with contextlib.suppress(Exception):
            async with asyncio.timeout(2):
                checks["database"] = await self.pool.fetchval("SELECT true") is True
        with contextlib.suppress(Exception):
            checks["broker"] = self.broker is not None and await self.broker.ping(timeout=2)
        if self.consumer is not None:
            settling = time.monotonic() - self._started_at < self.settings.assignment_grace_s
            checks["consumer"] = settling or bool(self.consumer.assigned_partitions())
        if self.relay is not None:
            checks["outbox"] = self.relay.oldest_age_s < self.settings.outbox_stuck_s
        return checks

    def health_routes(self) -> APIRouter:
        router = APIRouter(tags=["health"])

        @router.get("/healthz")
        async def healthz() -> dict[str, str]:
            """The process is alive."""
            return {"status": "ok"}

        @router.get("/asyncapi.json", tags=["events"])
        async def asyncapi() -> dict[str, Any]:
            """The AsyncAPI document of the events this service publishes and consumes."""
            return self.asyncapi()

        @router.get("/readyz")
        async def readyz() -> JSONResponse:
            """The service can do its job (see `readiness`); 503 with each check otherwise."""
            checks = await self.readiness()
            ready = all(checks.values())
            return JSONResponse(
                {"status": "ready" if ready else "not ready", "checks": checks},
                status_code=200 if ready else 503,
            )

        return router

    def create_app(
        self,
        *,
        title: str,
        routers: Sequence[APIRouter],
        dependencies: object = None,
        subscriptions: Subscriptions[Any] | None = None,
        jobs: Sequence[PeriodicJob] = (),
        workers: Sequence[Worker] = (),
        **kwargs: Any,
    ) -> FastAPI:
        """The service's FastAPI app: its routers, health routes, problem answers, and the
        dependencies routes reach through `dependencies_of`. The subscriptions and periodic
        jobs, usually built from those dependencies, are given here, once they exist."""
        if subscriptions is not None:
            self.subscriptions = subscriptions
        self.jobs.extend(jobs)
        self.workers.extend(workers)

        @asynccontextmanager
        async def lifespan(_: FastAPI) -> AsyncIterator[None]:
            await self.start()
            try:
                yield
            finally:
                await self.stop()

        app = FastAPI(title=title, lifespan=lifespan, **kwargs)
        install_problems(app)
        app.add_middleware(HttpMetricsMiddleware, metrics=self.metrics)
        app.include_router(self.health_routes())
        app.include_router(self.metrics.router())
        app.include_router(
            ops_router(
                token=self.settings.ops_api_token,
                dead_letters=lambda: self.dead_letters,
                consumer=lambda: self.consumer,
                clock=utcnow,
            )
        )
        for router in routers:
            app.include_router(router)
        app.state.runtime = self
        app.state.dependencies = dependencies
        return app

    def serve(self, app: FastAPI) -> None:
        s = self.settings
        configure_logging(s.service_name, s.log_level)
        tracer_provider = configure_tracing(
            s.service_name, otlp_endpoint=s.otel_exporter_otlp_endpoint, traces_dir=s.traces_dir
        )
        try:
            # uvloop and httptools: the event loop and HTTP parsing in C. A service's work per
            # event is mostly small socket reads and writes (PostgreSQL, Kafka, SMTP); the
            # bench's end to end took 57.2 s on uvloop against 62.5 s on asyncio's own loop.
            uvicorn.run(
                app,
                host=s.http_host,
                port=s.http_port,
                loop="uvloop",
                http="httptools",
                log_config=None,
                access_log=False,
            )
        finally:
            if tracer_provider is not None:
                tracer_provider.shutdown()  # the spans still buffered are exported


Settings = TypeVar("Settings", bound=ServiceSettings)


def build_service(
    settings: Settings,
    *,
    title: str,
    migrations: Path,
    emits: Sequence[type[Envelope]],
    bootstrap: Callable[[ServiceRuntime, Settings], Dependencies],
    routers: Sequence[APIRouter] = (),
    subscriptions: Callable[[Dependencies], Subscriptions[Any]] | None = None,
    jobs: Callable[[Dependencies], Sequence[PeriodicJob]] | None = None,
    workers: Callable[[Dependencies], Sequence[Worker]] | None = None,
    milestones: Milestones | None = None,
) -> FastAPI:
    """A service's app, from what is its own: its settings and migrations, the events it
    emits, how its dependencies are built, and the routes, subscriptions, periodic jobs and
    workers made from those dependencies."""
    runtime = ServiceRuntime(settings, migrations=migrations, emits=emits, milestones=milestones)
    deps = bootstrap(runtime, settings)
    return runtime.create_app(
        title=title,
        routers=routers,
        dependencies=deps,
        subscriptions=subscriptions(deps) if subscriptions else None,
        jobs=jobs(deps) if jobs else (),
        workers=workers(deps) if workers else (),
    )


def serve(create_app: Callable[[], FastAPI]) -> None:
    """Run a service's app as a process (its `main`): logs, then uvicorn."""
    app = create_app()
    runtime_of(app).serve(app)


def dependencies_of(request: Request, kind: type[Dependencies]) -> Dependencies:
    """The dependencies a service's bootstrap built, typed (for `api/deps.py`)."""
    found = request.app.state.dependencies
    if not isinstance(found, kind):
        raise RuntimeError(f"the app was built without {kind.__name__}")
    return found


def runtime_of(app: FastAPI) -> ServiceRuntime:
    runtime = app.state.runtime
    if not isinstance(runtime, ServiceRuntime):
        raise RuntimeError("not an app built by ServiceRuntime.create_app")
    return runtime


async def _bounded(step: str, stopping: Awaitable[None]) -> None:
    try:
        async with asyncio.timeout(STOP_STEP_TIMEOUT_S):
            await stopping
    except TimeoutError:
        log.warning("stopping took too long; left behind", extra={"step": step})
