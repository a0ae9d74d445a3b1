"""The operations API as `onboard dlq` uses it: the requests it makes and the answers it reads.

Every service answers it (`onboarding_kit.ops`), each for the events its own consumer parked
on a dead-letter topic, guarded by the operations token in `X-Ops-Token`. As in `api_models`,
each answer model lists the fields the CLI reads, with the types the API documents; the
client parses every answer into its model. `OPS_ROUTES` is every request `onboard dlq`
makes; `cli/tests/test_cli_openapi_contract.py` checks each of them, and each model, against
the services' own OpenAPI documents.
"""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, RootModel

from onboarding_cli.api_models import Route

OPS_TOKEN_HEADER = "X-Ops-Token"  # noqa: S105 (a header's name)
# A dead letter's id: where it is parked, `topic:partition:offset`.
LETTER_ID_PATTERN = r"^[A-Za-z0-9._-]+:[0-9]+:[0-9]+$"
LETTER_ID_MAX_LENGTH = 300


class _Answer(BaseModel):
    # Fields the CLI does not read are ignored: the API may grow without breaking it.
    model_config = ConfigDict(extra="ignore", frozen=True)


# --- answers -----------------------------------------------------------------------------


class DeadLetterOut(_Answer):
    id: str  # topic:partition:offset
    topic: str  # the dead-letter topic, as named on the cluster
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


class DeadLetterList(RootModel[list[DeadLetterOut]]):
    """`GET /internal/v1/dead-letters`: oldest first."""

    model_config = ConfigDict(frozen=True)


class DeadLetterDetail(DeadLetterOut):
    event: str  # the parked record's value, as text (JSON, unless that is what failed)


class ReplayOut(_Answer):
    id: str
    applied: bool  # False: it failed again, and was parked again


# --- path parameters ---------------------------------------------------------------------


class LetterPath(BaseModel):
    """The `{letter_id}` of a route, checked before it is sent."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    letter_id: Annotated[str, Field(pattern=LETTER_ID_PATTERN, max_length=LETTER_ID_MAX_LENGTH)]


# --- the routes --------------------------------------------------------------------------

LIST_DEAD_LETTERS = Route("GET", "/internal/v1/dead-letters", DeadLetterList)
SHOW_DEAD_LETTER = Route(
    "GET", "/internal/v1/dead-letters/{letter_id}", DeadLetterDetail, path_params=LetterPath
)
REPLAY_DEAD_LETTER = Route(
    "POST", "/internal/v1/dead-letters/{letter_id}/replay", ReplayOut, path_params=LetterPath
)

OPS_ROUTES = (LIST_DEAD_LETTERS, SHOW_DEAD_LETTER, REPLAY_DEAD_LETTER)
