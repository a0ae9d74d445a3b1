"""The one id generator of every service: random (version 4) UUIDs as text."""

from collections.abc import Callable

from onboarding_contracts import new_event_id

IdFactory = Callable[[], str]

new_id: IdFactory = new_event_id
