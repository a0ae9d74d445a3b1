"""Request bodies of the public routes are read within `MAX_BODY_BYTES`, before anything
else is done with them (their rates are counted by the dependencies in `deps`)."""

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from fastapi.routing import APIRoute
from starlette.types import Message

from registration.errors import BodyTooLarge
from registration.limits import MAX_BODY_BYTES


class BoundedBodyRoute(APIRoute):
    """A route whose request body is refused (`BodyTooLarge`) past `MAX_BODY_BYTES`: at
    once when `Content-Length` says so, otherwise as soon as that many bytes have come (a
    chunked body says nothing in advance)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def answer(request: Request) -> Response:
            return await handle(await read_within(request, MAX_BODY_BYTES))

        return answer


async def read_within(request: Request, limit: int) -> Request:
    """The request with its body read, at most `limit` bytes of it, and given again to
    whoever reads it next."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(limit)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise BodyTooLarge(limit)
    given = False

    async def receive() -> Message:
        nonlocal given
        if given:  # then whatever else comes: a disconnect
            return await request.receive()
        given = True
        return {"type": "http.request", "body": bytes(body), "more_body": False}

    return Request(request.scope, receive)
