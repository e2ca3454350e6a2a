"""The HTTP side of `orglife serve`: calendar feeds at ``GET /feeds/<token>.ics`` and ``/healthz``.

Feeds are built on a worker thread (the store is synchronous) and kept in memory until the
registers change (their revision) or the day turns (statuses depend on the date). Responses
carry a strong ETag and Last-Modified, so clients revalidate with a 304. An unknown or revoked
token gets the same 404 as a malformed one, and no log line ever contains a token.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import signal
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import format_datetime
from urllib.parse import quote

import structlog
from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.web_request import BaseRequest
from aiohttp.web_response import StreamResponse

from monitor.calendar.ical import DEFAULT_REFRESH
from monitor.calendar.service import (
    RenderedFeed,
    UnknownSubjectError,
    default_range,
    generate,
    subject,
)
from monitor.calendar.store import FeedStore
from monitor.core.errors import OrglifeError
from monitor.core.rules import RulePack
from monitor.core.schedule import SHANGHAI
from monitor.core.workdays import WorkCalendar
from monitor.reporting.links import ReportLink, link_key, valid
from monitor.store import Store

log = structlog.get_logger("orglife.web")
CACHE_SIZE = 2048  # feeds kept rendered; one branch's feed is ~100 KB
_TOKEN_PATH = re.compile(r"^/feeds/[^/]*$")
_TOKEN_LIKE = re.compile(r"[A-Za-z0-9_-]{16,}")  # a token (32 chars) in any other path
NOT_FOUND = "未找到该日历订阅：链接可能已作废或有误，请向党组织管理员索取新的订阅地址。\n"


@dataclass(frozen=True, slots=True)
class _Cached:
    key: tuple[int, dt.date]  # (registers revision, as_of)
    feed: RenderedFeed


class FeedService:
    """Feeds by token, cached until the registers change or the day turns."""

    def __init__(
        self,
        store: Store,
        pack: RulePack,
        workdays: WorkCalendar,
        *,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        refresh: dt.timedelta = DEFAULT_REFRESH,
        cache_size: int = CACHE_SIZE,
    ) -> None:
        self.store = store
        self.pack = pack
        self.workdays = workdays
        self.clock = clock
        self.refresh = refresh
        self.cache_size = cache_size
        self._cache: OrderedDict[str, _Cached] = OrderedDict()
        self._guard = threading.Lock()  # protects the cache and the lock table
        # One build per feed at a time (two subscribers refreshing together wait for one
        # build); different feeds build in parallel on the worker threads.
        self._building: dict[str, threading.Lock] = {}
        self.builds = 0  # feeds generated (not served from the cache), for tests and metrics

    def report(self, link: ReportLink, signature: str) -> bytes | None:
        """The summary a signed link names, rendered now; None unless the link is valid."""
        from monitor.reporting import render_docx, render_html, render_xlsx
        from monitor.reporting.build import build_summary
        from monitor.reporting.summary import parse_month

        now = self.clock()
        if not valid(link_key(self.store), link, signature, now=now):
            return None
        try:
            month = parse_month(link.month)
            as_of = now.astimezone(SHANGHAI).date()
            summary = build_summary(self.store, self.pack, org=link.org, month=month, as_of=as_of)
        except OrglifeError:
            return None
        if link.fmt == "docx":
            return render_docx(summary)
        if link.fmt == "xlsx":
            return render_xlsx(summary)
        key = link_key(self.store)
        files = {
            fmt: ReportLink(link.org, link.month, fmt, link.expires).path(key)
            for fmt in ("docx", "xlsx")
        }
        return render_html(summary, files=files).encode()

    def _cached(self, code: str, key: tuple[int, dt.date]) -> RenderedFeed | None:
        with self._guard:
            cached = self._cache.get(code)
            if cached is None or cached.key != key:
                return None
            self._cache.move_to_end(code)
            return cached.feed

    def feed(self, token: str) -> RenderedFeed | None:
        """The feed ``token`` opens, or None when the token is unknown or revoked."""
        code = FeedStore(self.store).subject_for(token)
        if code is None:
            return None
        now = self.clock()
        key = (self.store.revision(), now.astimezone(SHANGHAI).date())
        if (hit := self._cached(code, key)) is not None:
            return hit
        with self._guard:
            building = self._building.setdefault(code, threading.Lock())
        with building:
            if (hit := self._cached(code, key)) is not None:  # built while we waited
                return hit
            rendered = self._build(code, key[1], now)
            if rendered is None:
                return None
            with self._guard:
                self.builds += 1
                self._cache[code] = _Cached(key, rendered)
                self._cache.move_to_end(code)
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        log.info(
            "feed_built",
            subject=code,
            events=len(rendered.feed.events),
            changed=rendered.changed,
            bytes=len(rendered.body),
        )
        return rendered

    def _build(self, code: str, as_of: dt.date, now: dt.datetime) -> RenderedFeed | None:
        try:
            who = subject(self.store, code)
        except UnknownSubjectError:
            # The org or cadre left the registers after the link was issued.
            log.info("feed_subject_gone", subject=code)
            return None
        first, last = default_range(as_of)
        return generate(
            self.store,
            self.pack,
            self.workdays,
            who,
            as_of=as_of,
            first=first,
            last=last,
            now=now,
            refresh=self.refresh,
        )


SERVICE = web.AppKey("service", FeedService)


def make_app(service: FeedService) -> web.Application:
    app = web.Application()
    app[SERVICE] = service
    app.router.add_get("/feeds/{name}", _feed)
    app.router.add_get("/healthz", _healthz)
    app.router.add_get("/reports/{org}/{name}", _report)
    return app


REPORT_NOT_FOUND = "该通报链接无效或已过期，请在群里查看最新的月度通报，或向组织部门索取。\n"
_REPORT_TYPES = {
    "html": ("text/html", "inline"),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "attachment",
    ),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "attachment"),
}


async def _report(request: web.Request) -> web.StreamResponse:
    """A monthly summary behind a signed, expiring link (sent to DingTalk and Feishu groups).

    Every failure (bad signature, expired, unknown org, nothing to report) is the same 404,
    so a link reveals nothing about orgs it does not name.
    """
    service = request.app[SERVICE]
    month, _, fmt = request.match_info["name"].partition(".")
    try:
        expires = int(request.query.get("expires", ""))
    except ValueError:
        expires = -1
    link = ReportLink(request.match_info["org"], month, fmt, expires)
    body = await asyncio.to_thread(service.report, link, request.query.get("sig", ""))
    if body is None:
        return web.Response(
            status=404, text=REPORT_NOT_FOUND, content_type="text/plain", charset="utf-8"
        )
    content_type, disposition = _REPORT_TYPES[fmt]
    filename = quote(f"{link.org}-{link.month}-月度检查通报.{fmt}")
    headers = {
        "Cache-Control": "private, no-store",
        "Content-Disposition": f"{disposition}; filename*=UTF-8''{filename}",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",  # the link is the credential: keep it out of referers
    }
    charset = "utf-8" if fmt == "html" else None
    return web.Response(body=body, content_type=content_type, charset=charset, headers=headers)


async def _feed(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    service = request.app[SERVICE]
    token = name.removesuffix(".ics") if name.endswith(".ics") else ""
    rendered = await asyncio.to_thread(service.feed, token) if token else None
    if rendered is None:
        return web.Response(status=404, text=NOT_FOUND, content_type="text/plain", charset="utf-8")
    headers = {
        "ETag": rendered.etag,
        "Cache-Control": "private, no-cache",
        "Content-Disposition": 'inline; filename="orglife.ics"',
        "X-Content-Type-Options": "nosniff",
    }
    headers["Last-Modified"] = format_datetime(rendered.last_modified, usegmt=True)
    if _not_modified(request, rendered):
        return web.Response(status=304, headers=headers)
    return web.Response(
        body=rendered.body, content_type="text/calendar", charset="utf-8", headers=headers
    )


def _not_modified(request: web.Request, rendered: RenderedFeed) -> bool:
    """RFC 9110: If-None-Match decides when present; else If-Modified-Since."""
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return "*" in tags or rendered.etag in tags
    since = request.if_modified_since
    return since is not None and rendered.last_modified <= since


async def _healthz(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    try:
        await asyncio.to_thread(service.store.revision)
    except Exception as exc:  # any database failure makes the instance unhealthy
        log.warning("healthz_database_unreachable", error=type(exc).__name__)
        return web.json_response({"status": "error", "database": "unreachable"}, status=503)
    return web.json_response({"status": "ok"})


class AccessLogger(AbstractAccessLogger):
    """Access log lines through structlog, with feed tokens cut out of the path."""

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        path = request.path
        # Paths that miss the feed route (/feeds/<token>.ics/, //feeds/...) may still hold one.
        path = "/feeds/<token>" if _TOKEN_PATH.match(path) else _TOKEN_LIKE.sub("<token>", path)
        log.info(
            "http_request",
            method=request.method,
            path=path,
            status=response.status,
            ms=round(time * 1000, 1),
        )


async def start(service: FeedService, *, host: str, port: int) -> web.AppRunner:
    """Start listening; the caller owns the loop (the service adds a scheduler and a bot)."""
    runner = web.AppRunner(make_app(service), access_log_class=AccessLogger)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    return runner


def run(service: FeedService, *, host: str, port: int) -> None:
    """Serve until SIGINT or SIGTERM, then finish requests in flight and stop."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        runner = await start(service, host=host, port=port)
        log.warning("serving", url=f"http://{host}:{port}", feeds="/feeds/<token>.ics")
        try:
            await stop.wait()
        finally:
            log.warning("stopping")
            await runner.cleanup()

    asyncio.run(main())
