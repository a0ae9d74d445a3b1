"""The operations API every service answers (`onboard dlq`): a client per service, with
the operations token."""

import httpx

from onboarding_cli.client import ServiceClient
from onboarding_cli.config import url_var
from onboarding_cli.errors import parse_answer
from onboarding_cli.ops_models import (
    LIST_DEAD_LETTERS,
    OPS_TOKEN_HEADER,
    REPLAY_DEAD_LETTER,
    SHOW_DEAD_LETTER,
    DeadLetterDetail,
    DeadLetterList,
    DeadLetterOut,
    ReplayOut,
)

# A listing or a lookup reads the dead-letter topics from Kafka (the service gives up after
# 30 s); a replay applies the event with the consumer's retries and backoff.
OPS_TIMEOUT_S = 60.0
REPLAY_TIMEOUT_S = 180.0


class OpsClient(ServiceClient):
    """The operations API of one service (every service answers it, for the events its own
    consumer parked), with the operations token."""

    def __init__(
        self,
        service: str,
        base_url: str,
        token: str,
        *,
        timeout: float = OPS_TIMEOUT_S,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(
            base_url,
            {OPS_TOKEN_HEADER: token},
            service=service,
            reach_hint=f"is it running (`make up`)? or point {url_var(service)} at it",
            slow_hint="it reads the dead letters from Kafka: is Kafka up?",
            timeout=timeout,
            transport=transport,
        )

    def dead_letters(self) -> list[DeadLetterOut]:
        """What this service's consumer parked, oldest first."""
        request = self._request(LIST_DEAD_LETTERS)
        return parse_answer(LIST_DEAD_LETTERS, DeadLetterList, self._send(request)).root

    def dead_letter(self, letter_id: str) -> DeadLetterDetail:
        request = self._request(SHOW_DEAD_LETTER, letter_id=letter_id)
        return parse_answer(SHOW_DEAD_LETTER, DeadLetterDetail, self._send(request))

    def replay(self, letter_id: str, *, timeout: float = REPLAY_TIMEOUT_S) -> ReplayOut:
        request = self._request(
            REPLAY_DEAD_LETTER, letter_id=letter_id, timeout=httpx.Timeout(timeout, connect=5.0)
        )
        slow = f"the replay may still go through; check with `onboard dlq show {letter_id}`"
        return parse_answer(REPLAY_DEAD_LETTER, ReplayOut, self._send(request, slow_hint=slow))
