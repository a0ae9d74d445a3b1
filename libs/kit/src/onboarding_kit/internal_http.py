"""A client of another service's internal API: its routes under one prefix, the internal
token on every call (`onboarding_contracts.internal` holds each API's contract)."""

import httpx
from onboarding_contracts.internal.invitations import TOKEN_HEADER


class InternalApiClient:
    """The HTTP connection to one internal API; subclasses name its `prefix` and add its
    calls over `self.http`."""

    prefix: str

    def __init__(
        self,
        base_url: str,
        internal_token: str,
        *,
        timeout_s: float = 5,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.http = httpx.AsyncClient(
            base_url=f"{base_url.rstrip('/')}{self.prefix}",
            headers={TOKEN_HEADER: internal_token},
            timeout=timeout_s,
            transport=transport,
        )

    async def close(self) -> None:
        await self.http.aclose()
