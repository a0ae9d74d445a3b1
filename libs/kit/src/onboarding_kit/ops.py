"""The operations API every service answers: its dead letters, listed, shown, replayed.

Guarded by `OPS_API_TOKEN` (sent as `X-Ops-Token`); a service started without one answers
401 to every call here. Dead letters are not a tenant's: they belong to operations.
"""

import hmac
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path
from pydantic import BaseModel

from onboarding_kit.clock import Clock
from onboarding_kit.consumer import EventConsumer
from onboarding_kit.dead_letters import DeadLetter, DeadLetters, dead_letter
from onboarding_kit.errors import Conflict, InvalidField, NotFound, Problem
from onboarding_kit.problems import problems

OPS_TOKEN_HEADER = "X-Ops-Token"  # noqa: S105 (a header name)
LETTER_ID = r"^[A-Za-z0-9._-]+:[0-9]+:[0-9]+$"


class OpsUnauthenticated(Problem):
    status = 401
    title = "Unauthenticated"


class DeadLetterOut(BaseModel):
    id: str
    topic: str
    partition: int
    offset: int
    parked_at: datetime
    original_topic: str
    event_id: str | None
    event_type: str | None
    error: str
    error_type: str
    attempts: int
    replayed_at: datetime | None


class DeadLetterDetail(DeadLetterOut):
    event: str  # the record's value, as text


class ReplayOut(BaseModel):
    id: str
    applied: bool  # False: it failed again, and was parked again


def _out(letter: DeadLetter) -> DeadLetterOut:
    return DeadLetterOut(id=letter.id, **vars(letter))


def ops_router(
    *,
    token: str | None,
    dead_letters: Callable[[], DeadLetters],
    consumer: Callable[[], EventConsumer[Any] | None],
    clock: Clock,
) -> APIRouter:
    def authorised(x_ops_token: Annotated[str | None, Header()] = None) -> None:
        if token is None:
            raise OpsUnauthenticated("the operations API is off: start with OPS_API_TOKEN set")
        if x_ops_token is None or not hmac.compare_digest(x_ops_token.encode(), token.encode()):
            raise OpsUnauthenticated(f"send the operations token in {OPS_TOKEN_HEADER}")

    router = APIRouter(
        prefix="/internal/v1/dead-letters", tags=["operations"], dependencies=[Depends(authorised)]
    )
    LetterId = Annotated[str, Path(max_length=300, pattern=LETTER_ID)]

    @router.get("", responses=problems(401))
    async def list_dead_letters() -> list[DeadLetterOut]:
        """The events this service's consumer parked, oldest first, and whether each has
        been replayed."""
        return [_out(letter) for letter in await dead_letters().parked()]

    @router.get("/{letter_id}", responses=problems(401, 404))
    async def show_dead_letter(letter_id: LetterId) -> DeadLetterDetail:
        """One parked event, with the error that parked it and the event itself."""
        found = await dead_letters().find(letter_id)
        if found is None:
            raise NotFound(f"this service parked no event {letter_id}")
        replayed_at = await dead_letters().replayed_at(letter_id)
        letter = DeadLetter(**{**vars(dead_letter(found)), "replayed_at": replayed_at})
        return DeadLetterDetail(
            **_out(letter).model_dump(), event=(found.value or b"").decode(errors="replace")
        )

    @router.post("/{letter_id}/replay", responses=problems(401, 404, 409, 422))
    async def replay_dead_letter(letter_id: LetterId) -> ReplayOut:
        """Apply a parked event again, once the cause is fixed: it goes through this
        service's consumer as if it had just arrived. 409 if it was replayed already."""
        store = dead_letters()
        running = consumer()
        found = await store.find(letter_id)
        if found is None or running is None:
            raise NotFound(f"this service parked no event {letter_id}")
        if await store.replayed_at(letter_id) is not None:
            raise Conflict(f"{letter_id} was replayed already")
        try:
            applied = await running.replay(found)
        except ValueError as error:
            raise InvalidField("letter_id", str(error)) from error
        if applied:
            await store.mark_replayed(letter_id, clock())
        return ReplayOut(id=letter_id, applied=applied)

    return router
