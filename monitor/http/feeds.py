"""Calendar feeds at ``GET /feeds/<token>.ics`` and monthly summaries behind signed links at
``GET /reports/<org>/<month>.<fmt>``.

Feeds are built on a worker thread (the store is synchronous) and kept in memory until the
registers change (their revision) or the day turns (statuses depend on the date). Responses
carry a strong ETag and Last-Modified, so clients revalidate with a 304. An unknown or revoked
token gets the same 404 as a malformed one, and no log line ever contains a token (the access
log, :mod:`monitor.http.access`, cuts them out of the path).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import traceback
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import format_datetime, parsedate
from typing import Annotated, Any
from urllib.parse import quote

import structlog
from fastapi import APIRouter, Header, Path, Query
from fastapi.responses import PlainTextResponse, Response

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
from monitor.http.state import State
from monitor.reporting.links import ReportLink, link_key, valid
from monitor.store import Store

log = structlog.get_logger("orglife.web")
CACHE_SIZE = 2048  # feeds kept rendered; one branch's feed is ~100 KB
NOT_FOUND = "未找到该日历订阅：链接可能已作废或有误，请向党组织管理员索取新的订阅地址。\n"
FAILED = "日历订阅暂时无法生成，请稍后再试。\n"


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


router = APIRouter()

_TEXT: dict[str, Any] = {"schema": {"type": "string"}}
_VALIDATORS: dict[str, Any] = {
    "ETag": {"description": "Strong; changes with the feed's content.", "schema": _TEXT["schema"]},
    "Last-Modified": {"description": "When the feed last changed.", "schema": _TEXT["schema"]},
}
_FEED_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The feed: iCalendar (RFC 5545).",
        "content": {"text/calendar": _TEXT},
        "headers": _VALIDATORS,
    },
    304: {
        "description": "Not modified: If-None-Match or If-Modified-Since still matches.",
        "headers": _VALIDATORS,
    },
    404: {
        "description": "An unknown, revoked, rotated or malformed token: always the same text.",
        "content": {"text/plain": {**_TEXT, "example": NOT_FOUND}},
    },
    500: {
        "description": "The feed could not be built (e.g. the database does not answer).",
        "content": {"text/plain": {**_TEXT, "example": FAILED}},
    },
}
_FEED_NAME = "The subscription token followed by `.ics`."


@router.head(
    "/feeds/{name}",
    operation_id="head_feed",
    summary="A calendar feed's headers",
    response_class=Response,
    responses=_FEED_RESPONSES,
    tags=["feeds"],
)
@router.get(
    "/feeds/{name}",
    operation_id="get_feed",
    summary="A calendar feed by its subscription token",
    response_class=Response,
    responses=_FEED_RESPONSES,
    tags=["feeds"],
)
async def feed(
    name: Annotated[str, Path(description=_FEED_NAME)],
    state: State,
    if_none_match: Annotated[str | None, Header()] = None,
    if_modified_since: Annotated[str | None, Header()] = None,
) -> Response:
    token = name.removesuffix(".ics") if name.endswith(".ics") else ""
    try:
        rendered = await asyncio.to_thread(state.feed_service().feed, token) if token else None
    except Exception as exc:
        # Logged here, not by uvicorn: the error's text may hold the token (a database error
        # shows the query's parameters).
        trace = "".join(traceback.format_exception(exc)).replace(token, "<token>")
        log.error("feed_failed", error=type(exc).__name__, exception=trace)
        return PlainTextResponse(FAILED, status_code=500)
    if rendered is None:
        return PlainTextResponse(NOT_FOUND, status_code=404)
    headers = {
        "ETag": rendered.etag,
        "Cache-Control": "private, no-cache",
        "Content-Disposition": 'inline; filename="orglife.ics"',
        "X-Content-Type-Options": "nosniff",
    }
    headers["Last-Modified"] = format_datetime(rendered.last_modified, usegmt=True)
    if not_modified(rendered, if_none_match=if_none_match, if_modified_since=if_modified_since):
        return Response(status_code=304, headers=headers)
    return Response(rendered.body, media_type="text/calendar", headers=headers)


def not_modified(
    rendered: RenderedFeed, *, if_none_match: str | None, if_modified_since: str | None
) -> bool:
    """RFC 9110: If-None-Match decides when present; else If-Modified-Since."""
    if if_none_match is not None:
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return "*" in tags or rendered.etag in tags
    since = _http_date(if_modified_since)
    return since is not None and rendered.last_modified <= since


def _http_date(value: str | None) -> dt.datetime | None:
    """An HTTP date (always GMT), None when absent or unreadable."""
    parsed = parsedate(value) if value is not None else None
    if parsed is None:
        return None
    try:
        return dt.datetime(*parsed[:6], tzinfo=dt.UTC)
    except ValueError:
        return None


REPORT_NOT_FOUND = "该通报链接无效或已过期，请在群里查看最新的月度通报，或向组织部门索取。\n"
_REPORT_TYPES = {
    "html": ("text/html", "inline"),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "attachment",
    ),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "attachment"),
}
_BINARY: dict[str, Any] = {"schema": {"type": "string", "format": "binary"}}
_REPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The summary: an HTML page (inline), or a Word or Excel file (attachment).",
        "content": {
            "text/html": _TEXT,
            **{content_type: _BINARY for content_type, _ in list(_REPORT_TYPES.values())[1:]},
        },
    },
    404: {
        "description": "A bad or expired signature, an unknown org or format, or nothing to "
        "report: always the same text.",
        "content": {"text/plain": {**_TEXT, "example": REPORT_NOT_FOUND}},
    },
}


@router.head(
    "/reports/{org}/{name}",
    operation_id="head_report",
    summary="A monthly summary's headers",
    response_class=Response,
    responses=_REPORT_RESPONSES,
    tags=["reports"],
)
@router.get(
    "/reports/{org}/{name}",
    operation_id="get_report",
    summary="A monthly summary behind a signed, expiring link",
    response_class=Response,
    responses=_REPORT_RESPONSES,
    tags=["reports"],
)
async def report(
    org: Annotated[str, Path(description="The org's code.")],
    name: Annotated[str, Path(description="`<YYYY-MM>.<html|docx|xlsx>`.")],
    state: State,
    expires: Annotated[str, Query(description="When the link expires (Unix seconds).")] = "",
    sig: Annotated[str, Query(description="The link's signature.")] = "",
) -> Response:
    """A monthly summary behind a signed, expiring link (sent to DingTalk and Feishu groups).

    Every failure (bad signature, expired, unknown org, nothing to report) is the same 404,
    so a link reveals nothing about orgs it does not name.
    """
    month, _, fmt = name.partition(".")
    try:
        expiry = int(expires)
    except ValueError:
        expiry = -1
    link = ReportLink(org, month, fmt, expiry)
    body = await asyncio.to_thread(state.feed_service().report, link, sig)
    if body is None:
        return PlainTextResponse(REPORT_NOT_FOUND, status_code=404)
    content_type, disposition = _REPORT_TYPES[fmt]
    filename = quote(f"{link.org}-{link.month}-月度检查通报.{fmt}")
    headers = {
        "Cache-Control": "private, no-store",
        "Content-Disposition": f"{disposition}; filename*=UTF-8''{filename}",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",  # the link is the credential: keep it out of referers
    }
    return Response(body, media_type=content_type, headers=headers)
