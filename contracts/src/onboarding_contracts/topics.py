"""Kafka topics. One topic per emitting service; every message is keyed by the event's
`subject` (the aggregate id), so all events of one enrolment, invitation, account or
notification land in one partition and stay in order."""

from enum import StrEnum


class Topic(StrEnum):
    ENROLMENT = "onboarding.enrolment.v1"
    INVITATION = "onboarding.invitation.v1"
    NOTIFICATION = "onboarding.notification.v1"
    REGISTRATION = "onboarding.registration.v1"


def topic_of(event_type: str) -> Topic:
    """`onboarding.enrolment.created` is published on the enrolment topic, and so on."""
    prefix, service, _ = event_type.split(".", 2)
    if prefix != "onboarding":
        raise ValueError(f"not an onboarding event type: {event_type!r}")
    return Topic(f"onboarding.{service}.v1")


def dead_letter_topic(topic: str) -> str:
    """Where messages that keep failing on `topic` are parked, with the error in headers."""
    return f"{topic}.dlt"
