"""The access log: one structlog line per request, with tokens cut out of the path.

uvicorn's own access log stays off: it would print paths with feed tokens and query strings
with link signatures. Here a feed path is logged as ``/feeds/<token>``, any other path has its
token-like segments replaced, and the query string is never logged.
"""

from __future__ import annotations

import re
import time

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = structlog.get_logger("orglife.web")
_TOKEN_PATH = re.compile(r"^/feeds/[^/]*$")
_TOKEN_LIKE = re.compile(r"[A-Za-z0-9_-]{16,}")  # a token (32 chars) in any other path


def redact(path: str) -> str:
    """``path`` with no token in it."""
    # Paths that miss the feed route (/feeds/<token>.ics/, //feeds/...) may still hold one.
    return "/feeds/<token>" if _TOKEN_PATH.match(path) else _TOKEN_LIKE.sub("<token>", path)


class AccessLog:
    """ASGI middleware: ``http_request`` (method, redacted path, status, ms) once a response
    is sent; a request that fails before answering is logged with status 500."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            log.info(
                "http_request",
                method=scope["method"],
                path=redact(scope["path"]),
                status=status,
                ms=round((time.perf_counter() - started) * 1000, 1),
            )
