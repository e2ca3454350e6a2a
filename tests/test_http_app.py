"""The HTTP app's own pages: the OpenAPI document, Swagger UI with local assets only, the
embedded uvicorn server (port 0, a busy port, stopping), /healthz when the database is gone and
a feed that fails without its token reaching the log.

Servers run under uvicorn on their own event loop in a background thread, as in test_web.
"""

from __future__ import annotations

import asyncio
import http.client
import io
import json
import logging
import socket
import threading
import time
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, TypeVar

import pytest
import structlog
from openapi_spec_validator import validate

from monitor.calendar.store import FeedStore
from monitor.core.rules import RulePack
from monitor.holidays import work_calendar
from monitor.http.app import create_app
from monitor.http.feeds import FAILED, FeedService
from monitor.http.server import HttpServer
from monitor.http.state import AppState
from monitor.store import Store

T = TypeVar("T")


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


def get(port: int, path: str, method: str = "GET") -> Reply:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path)
        response = conn.getresponse()
        body = response.read()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, body)
    finally:
        conn.close()


class Loop:
    """An event loop in a background thread; ``run`` waits for a coroutine's result."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(30)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(30)
        self.loop.close()


@pytest.fixture
def loop() -> Iterator[Loop]:
    running = Loop()
    try:
        yield running
    finally:
        running.close()


@pytest.fixture
def state(tmp_path: Path, national: RulePack) -> Iterator[AppState]:
    with Store.open(f"sqlite:///{tmp_path / 'orglife.db'}") as store:
        yield AppState.of(FeedService(store, national, work_calendar()))


@pytest.fixture
def port(loop: Loop, state: AppState) -> Iterator[int]:
    server = loop.run(HttpServer.start(create_app(state), host="127.0.0.1", port=0))
    try:
        yield server.port
    finally:
        loop.run(server.stop())


def test_the_openapi_document_is_valid_openapi_3_and_lists_the_routes(port: int) -> None:
    reply = get(port, "/api/openapi.json")
    assert reply.status == 200
    assert reply.headers["content-type"] == "application/json"
    document = json.loads(reply.body)
    validate(document)  # raises on anything that is not a valid OpenAPI document
    assert document["openapi"].startswith("3.")
    paths = {path: set(item) for path, item in document["paths"].items()}
    assert (
        paths.items()
        >= {
            "/feeds/{name}": {"get", "head"},
            "/reports/{org}/{name}": {"get", "head"},
            "/healthz": {"get", "head"},
        }.items()
    )
    assert not {"/api/docs", "/api/openapi.json"} & set(paths)
    operations = [op for item in document["paths"].values() for op in item.values()]
    ids = [op["operationId"] for op in operations]
    assert len(ids) == len(set(ids))

    feed = document["paths"]["/feeds/{name}"]["get"]
    assert set(feed["responses"]) == {"200", "304", "404", "500"}  # no 422: strings never fail
    assert set(feed["responses"]["200"]["content"]) == {"text/calendar"}
    assert {p["name"] for p in feed["parameters"]} == {"name", "if-none-match", "if-modified-since"}
    health = document["paths"]["/healthz"]["get"]["responses"]
    schemas = document["components"]["schemas"]
    assert health["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/Healthy")
    assert schemas["Healthy"]["required"] == ["status"]
    assert set(schemas["Unhealthy"]["required"]) == {"status", "database"}
    assert "HTTPValidationError" not in schemas


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [v for k, v in attrs if k in ("src", "href") and v]


def test_swagger_ui_loads_every_asset_from_the_app_itself(port: int) -> None:
    page = get(port, "/api/docs")
    assert page.status == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    html = page.body.decode()
    assert "http://" not in html
    assert "https://" not in html
    assert "'/api/openapi.json'" in html
    assert '"validatorUrl": null' in html  # no badge fetched from validator.swagger.io

    parser = _Assets()
    parser.feed(html)
    scripts = [u for u in parser.urls if u.endswith(".js")]
    styles = [u for u in parser.urls if u.endswith(".css")]
    assert scripts
    assert styles
    for url in parser.urls:
        assert url.startswith("/")
        assert not url.startswith("//")
        asset = get(port, url)
        assert asset.status == 200, url
        assert len(asset.body) > 1000, url
        assert "etag" in asset.headers
    for url in scripts:
        assert "javascript" in get(port, url).headers["content-type"]
        assert b"SwaggerUIBundle" in get(port, url).body
    for url in styles:
        assert get(port, url).headers["content-type"].startswith("text/css")


def test_port_0_gets_a_free_port_a_busy_port_is_an_error_and_stop_frees_it(
    loop: Loop, state: AppState
) -> None:
    server = loop.run(HttpServer.start(create_app(state), host="127.0.0.1", port=0))
    assert server.port != 0
    assert server.url == f"http://127.0.0.1:{server.port}"
    assert get(server.port, "/healthz").status == 200
    with pytest.raises(OSError, match="error while attempting to bind"):
        loop.run(HttpServer.start(create_app(state), host="127.0.0.1", port=server.port))
    loop.run(server.stop())
    assert server.task.done()
    with pytest.raises(ConnectionRefusedError):
        get(server.port, "/healthz")
    with socket.create_server(("127.0.0.1", server.port)):  # the port is free again
        pass


class _Unreachable:
    def revision(self) -> int:
        raise ConnectionError("the database is down")


def test_healthz_is_503_when_the_database_does_not_answer(loop: Loop, state: AppState) -> None:
    broken = replace(state, store=_Unreachable())  # type: ignore[arg-type]
    server = loop.run(HttpServer.start(create_app(broken), host="127.0.0.1", port=0))
    try:
        reply = get(server.port, "/healthz")
    finally:
        loop.run(server.stop())
    assert reply.status == 503
    assert json.loads(reply.body) == {"status": "error", "database": "unreachable"}


class _FailingFeeds(FeedService):
    def feed(self, token: str) -> None:
        try:
            raise ConnectionError(f"server closed the connection [parameters: ('{token}',)]")
        except ConnectionError as exc:
            raise RuntimeError(f"while looking up {token}") from exc


def test_a_feed_that_fails_is_a_500_logged_without_its_token(
    loop: Loop, state: AppState, tmp_path: Path
) -> None:
    buffer = io.StringIO()
    structlog.configure(
        processors=[structlog.processors.JSONRenderer(ensure_ascii=False)],
        logger_factory=structlog.PrintLoggerFactory(buffer),
        wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG),
        cache_logger_on_first_use=False,
    )
    token = FeedStore(state.store).token("JD01", now=state.clock()).token
    feeds = _FailingFeeds(state.store, state.pack, state.workdays)
    app = create_app(replace(state, feeds=feeds))
    server = loop.run(HttpServer.start(app, host="127.0.0.1", port=0))
    try:
        reply = get(server.port, f"/feeds/{token}.ics")
        deadline = time.monotonic() + 10
        while "http_request" not in buffer.getvalue() and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        loop.run(server.stop())
    assert reply.status == 500
    assert reply.body.decode() == FAILED
    lines = [json.loads(line) for line in buffer.getvalue().splitlines()]
    (failed,) = [e for e in lines if e["event"] == "feed_failed"]
    assert failed["error"] == "RuntimeError"
    assert (
        "ConnectionError: server closed the connection [parameters: ('<token>',)]"
        in (failed["exception"])
    )
    assert [(e["path"], e["status"]) for e in lines if e["event"] == "http_request"] == [
        ("/feeds/<token>", 500)
    ]
    assert token not in buffer.getvalue()
