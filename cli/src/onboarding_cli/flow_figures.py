"""What `onboard flow` shows of a service, worked out from its metrics: gauges from the
latest scrape, rates from the latest two.

The names are those the services' runtime exports (`onboarding_kit.metrics`); the test
`test_cli_flow.py` reads them out of that module's own exposition, so a renamed metric fails
there rather than showing an empty column here."""

from collections.abc import Container, Mapping
from dataclasses import dataclass, field

from onboarding_cli.metrics_text import Scrape

EVENTS_CONSUMED = "onboarding_events_consumed_total"
OUTBOX_DEPTH = "onboarding_outbox_depth"
OUTBOX_OLDEST_AGE = "onboarding_outbox_oldest_age_seconds"
OUTBOX_PUBLISHED = "onboarding_outbox_published_total"
CONSUMER_LAG = "onboarding_consumer_lag"
DEAD_LETTERS_WAITING = "onboarding_dead_letter_messages"
NOTIFICATIONS = "onboarding_notifications_total"

CONSUMED = ("applied", "duplicate", "ignored")  # an event taken off the topic for good
DEAD_LETTERED = ("dead_lettered",)
MESSAGE_OUTCOMES = ("sent", "retried", "failed")  # per second, in the messages table


@dataclass(frozen=True)
class ServiceFlow:
    """One service's row. `down` says why it could not be read (and then the figures are
    None); a rate is None with only one scrape to go on, a gauge when it is not exported
    (not sampled yet)."""

    service: str
    down: str | None = None
    events_per_s: float | None = None
    dead_lettered: float | None = None  # events parked, since the process started
    lag: float | None = None  # summed over every group, topic and partition
    outbox_depth: float | None = None
    outbox_oldest_age_s: float | None = None
    published_per_s: float | None = None
    dead_letters_waiting: Mapping[str, float] = field(default_factory=dict)  # by topic
    # by channel, then by outcome (MESSAGE_OUTCOMES): messages a second
    messages_per_s: Mapping[str, Mapping[str, float | None]] = field(default_factory=dict)

    @property
    def waiting(self) -> float:
        return sum(self.dead_letters_waiting.values())


def rate(
    name: str,
    latest: Scrape,
    previous: Scrape | None,
    match: Mapping[str, Container[str]] | None = None,
) -> float | None:
    """How fast the counter `name` (its series in `match`, summed) grew between the two
    scrapes, a second. A series that went down was reset (the process restarted) and counts
    from zero, as Prometheus's `rate` does; one the previous scrape did not have was created
    since, as a counter's series appears at its first increment."""
    if previous is None or latest.at <= previous.at:
        return None
    before = previous.series(name, match)
    grown = 0.0
    for labels, value in latest.series(name, match).items():
        earlier = before.get(labels, 0.0)
        grown += value - earlier if value >= earlier else value
    return grown / (latest.at - previous.at)


@dataclass(frozen=True)
class OwnGroup:
    """The consumer group of `service` (named `<topic prefix><service>`): a service also
    reports the lag of the platform's other groups, which is theirs to show."""

    service: str

    def __contains__(self, group: object) -> bool:
        return isinstance(group, str) and group.endswith(self.service)


def service_flow(service: str, latest: Scrape | str, previous: Scrape | None) -> ServiceFlow:
    """The row of `service`, from its latest scrape (or why it failed) and the one before."""
    if isinstance(latest, str):
        return ServiceFlow(service, down=latest)
    waiting = {
        dict(labels).get("topic", "?"): value
        for labels, value in latest.series(DEAD_LETTERS_WAITING).items()
    }
    return ServiceFlow(
        service,
        events_per_s=rate(EVENTS_CONSUMED, latest, previous, {"outcome": CONSUMED}),
        dead_lettered=latest.total(EVENTS_CONSUMED, {"outcome": DEAD_LETTERED}) or 0.0,
        lag=latest.total(CONSUMER_LAG, {"group": OwnGroup(service)}),
        outbox_depth=latest.total(OUTBOX_DEPTH),
        outbox_oldest_age_s=latest.total(OUTBOX_OLDEST_AGE),
        published_per_s=rate(OUTBOX_PUBLISHED, latest, previous),
        dead_letters_waiting=waiting,
        messages_per_s=_messages(latest, previous),
    )


def _messages(latest: Scrape, previous: Scrape | None) -> dict[str, dict[str, float | None]]:
    channels = sorted({dict(labels).get("channel", "?") for labels in latest.series(NOTIFICATIONS)})
    return {
        channel: {
            outcome: rate(
                NOTIFICATIONS, latest, previous, {"channel": (channel,), "outcome": (outcome,)}
            )
            for outcome in MESSAGE_OUTCOMES
        }
        for channel in channels
    }
