"""uvicorn inside a running asyncio loop: `orglife serve` shares one loop between HTTP, the
scheduler and the bot, so the server is a task of that loop, not a process of its own.

The listening sockets are bound here, before uvicorn starts: a busy port is an ``OSError`` for
the caller (uvicorn would exit the process), and with port 0 the chosen port is known at once.
uvicorn leaves signals to the caller, logs through the standard library (no config of its own:
the records go to structlog's handler) and writes no access log of its own
(:mod:`monitor.http.access` does, without tokens).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import Iterator
from dataclasses import dataclass

import structlog
import uvicorn
from fastapi import FastAPI

from monitor.http.app import create_app
from monitor.http.feeds import FeedService
from monitor.http.state import AppState

log = structlog.get_logger("orglife.web")
GRACE = 10  # seconds requests in flight get to finish on shutdown


class _Embedded(uvicorn.Server):
    """A uvicorn server that leaves SIGINT and SIGTERM to the loop's owner."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def bind(host: str, port: int) -> list[socket.socket]:
    """Listening sockets on every address ``host`` resolves to, as asyncio's create_server
    would bind them (address reuse; IPv6 sockets are IPv6 only)."""
    infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    sockets: list[socket.socket] = []
    try:
        for family, kind, proto, _, address in dict.fromkeys(infos):
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                sock.bind(address)
            except OSError as exc:
                raise OSError(
                    exc.errno, f"error while attempting to bind on address {address!r}: {exc}"
                ) from None
    except BaseException:
        for sock in sockets:
            sock.close()
        raise
    return sockets


@dataclass(eq=False)
class HttpServer:
    """A running uvicorn server: :meth:`start` it in a loop, :meth:`stop` it in the same one."""

    server: uvicorn.Server
    task: asyncio.Task[None]
    addresses: list[tuple[str, int]]  # (host, port) of each listening socket
    state: AppState | None = None  # the app's state, when :func:`start` built it

    @property
    def port(self) -> int:
        return self.addresses[0][1]

    @property
    def url(self) -> str:
        host, port = self.addresses[0]
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    @classmethod
    async def start(cls, app: FastAPI, *, host: str, port: int) -> HttpServer:
        """Bind ``host:port`` (0: any free port) and serve ``app`` from a task of this loop."""
        sockets = bind(host, port)
        addresses = [(str(s.getsockname()[0]), int(s.getsockname()[1])) for s in sockets]
        config = uvicorn.Config(
            app,
            log_config=None,  # orglife's logging (monitor.cli.logs) renders uvicorn's records
            log_level=logging.WARNING,  # no banner: the caller logs `serving` with the address
            access_log=False,  # monitor.http.access logs requests, without tokens
            lifespan="on",
            server_header=False,
            timeout_graceful_shutdown=GRACE,
        )
        server = _Embedded(config)
        task = asyncio.create_task(server.serve(sockets=sockets), name="orglife-http")
        while not server.started:
            if task.done():
                task.result()  # raises what stopped it
                raise RuntimeError("the HTTP server stopped while starting")
            await asyncio.sleep(0.01)
        return cls(server, task, addresses)

    async def stop(self) -> None:
        """Stop accepting, let requests in flight finish (at most :data:`GRACE`), close."""
        self.server.should_exit = True
        await self.task


async def start(
    feeds: FeedService,
    *,
    host: str,
    port: int,
    public_url: str | None = None,
    warm_dashboards: bool = False,
) -> HttpServer:
    """The app (:func:`monitor.http.app.create_app`: feeds, API) served on ``host:port``.

    The session cookie is marked Secure when the public URL is HTTPS (behind a TLS proxy). With
    ``warm_dashboards`` the top-level orgs' dashboards are brought into the cache in the
    background once the server listens."""
    state = AppState.of(
        feeds,
        public_url=public_url,
        secure_cookies=bool(public_url and public_url.startswith("https://")),
    )
    server = await HttpServer.start(create_app(state), host=host, port=port)
    server.state = state
    if warm_dashboards:
        warm(state)
    return server


def warm(state: AppState) -> None:
    """Bring the top-level dashboards into the cache in the background (on start, and after
    midnight, when every verdict is judged as of a new day)."""
    from monitor.http.pages.dashboard import warm_dashboards

    warm_dashboards(state)


def run(feeds: FeedService, *, host: str, port: int) -> None:
    """Serve until SIGINT or SIGTERM, then finish requests in flight and stop."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        server = await start(feeds, host=host, port=port)
        log.warning("serving", url=server.url, feeds="/feeds/<token>.ics")
        try:
            await stop.wait()
        finally:
            log.warning("stopping")
            await server.stop()

    asyncio.run(main())
