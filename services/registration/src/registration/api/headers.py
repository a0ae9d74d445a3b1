"""The security headers of every answer, pages and JSON alike: nothing is cached (a page
holds an invitation token and a person's details), no address (with its token) leaks
through a Referer, nothing is sniffed, framed or loaded from anywhere but this service."""

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
}
# FastAPI's interactive API documents, for developers, run inline scripts: they get every
# header but the policy, which would leave them blank.
DOCUMENTS = ("/docs", "/redoc")


class SecurityHeaders:
    """ASGI middleware setting `SECURITY_HEADERS` on every HTTP answer (problems too)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        documents = str(scope.get("path", "")).startswith(DOCUMENTS)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    if not (documents and name == "Content-Security-Policy"):
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
