"""`orglife serve` over real TCP: feeds by token, revalidation, 404s, caching and token-free logs.

The server (uvicorn) runs on its own event loop in a background thread; requests go through
http.client.
The service's clock is injected and fixed, so nothing depends on today's date.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import http.client
import io
import json
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import structlog

from monitor.calendar.store import FeedStore
from monitor.core.rules import RulePack
from monitor.demo import SNAPSHOT_DAY
from monitor.holidays import work_calendar
from monitor.http.feeds import NOT_FOUND, FeedService
from monitor.http.server import start
from monitor.registers.readers import read_meetings
from monitor.store import Store

NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)
BRANCH, BRANCH_NAME = "JD01-01", "幸福社区党支部"
NEW_TOPIC = "订阅源缓存测试专题"


@dataclass
class Clock:
    now: dt.datetime = NOW

    def __call__(self) -> dt.datetime:
        return self.now


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def unfolded(self) -> str:
        """The body with iCalendar line folding undone, so long lines can be searched."""
        return self.body.replace(b"\r\n ", b"").decode("utf-8")


@dataclass
class Server:
    service: FeedService
    clock: Clock
    port: int
    store: Store

    def token(self, subject: str) -> str:
        return FeedStore(self.store).token(subject, now=self.clock()).token

    def request(self, path: str, method: str = "GET", **headers: str) -> Reply:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, headers=headers)
            response = conn.getresponse()
            body = response.read()
            return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, body)
        finally:
            conn.close()

    def feed(self, token: str, method: str = "GET", **headers: str) -> Reply:
        return self.request(f"/feeds/{token}.ics", method, **headers)


@pytest.fixture
def server(demo_store: Store, national: RulePack) -> Iterator[Server]:
    clock = Clock()
    service = FeedService(demo_store, national, work_calendar(), clock=clock)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    starting = start(service, host="127.0.0.1", port=0)
    http = asyncio.run_coroutine_threadsafe(starting, loop).result(30)
    try:
        yield Server(service, clock, http.port, demo_store)
    finally:
        asyncio.run_coroutine_threadsafe(http.stop(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(30)
        loop.close()


def _add_meeting(store: Store, national: RulePack, tmp_path: Path) -> None:
    path = tmp_path / "new-meeting.csv"
    path.write_text(
        f"org,kind,date,expected,attended,topic\n{BRANCH},主题党日,2026-11-18,10,9,{NEW_TOPIC}\n",
        encoding="utf-8",
    )
    store.import_meetings(
        read_meetings(path, today=SNAPSHOT_DAY, historical=True), national.catalog
    )


def test_valid_token_serves_the_branch_feed(server: Server) -> None:
    token = server.token(BRANCH)
    reply = server.feed(token)
    assert reply.status == 200
    assert reply.headers["content-type"] == "text/calendar; charset=utf-8"
    assert reply.headers["etag"].startswith('"')
    assert len(reply.headers["etag"]) > 2
    assert reply.headers["last-modified"] == "Fri, 20 Nov 2026 10:00:00 GMT"
    assert reply.body.startswith(b"BEGIN:VCALENDAR\r\n")
    assert BRANCH_NAME in reply.unfolded
    assert token not in reply.unfolded

    head = server.feed(token, "HEAD")
    assert head.status == 200
    assert head.body == b""
    assert head.headers["etag"] == reply.headers["etag"]
    assert head.headers["content-type"] == "text/calendar; charset=utf-8"


def test_revalidation_gives_304_without_a_body(server: Server) -> None:
    token = server.token(BRANCH)
    first = server.feed(token)
    etag, modified = first.headers["etag"], first.headers["last-modified"]

    by_etag = server.feed(token, **{"If-None-Match": etag})
    assert (by_etag.status, by_etag.body) == (304, b"")
    assert by_etag.headers["etag"] == etag

    by_date = server.feed(token, **{"If-Modified-Since": modified})
    assert (by_date.status, by_date.body) == (304, b"")

    other = server.feed(token, **{"If-None-Match": '"0123456789abcdef"'})
    assert other.status == 200
    assert other.body == first.body

    earlier = server.feed(token, **{"If-Modified-Since": "Thu, 19 Nov 2026 10:00:00 GMT"})
    assert earlier.status == 200


def test_404s_are_identical_and_name_no_token(server: Server) -> None:
    live = server.token(BRANCH)
    revoked = server.token("JD01-02")
    assert FeedStore(server.store).revoke("JD01-02", now=NOW)
    old = server.token("JD01-03")
    old_body = server.feed(old).body
    new = FeedStore(server.store).rotate("JD01-03", now=NOW).token
    not_cadre = server.token("M0001")  # an ordinary member: no feed of their own

    paths = {
        "unknown": "/feeds/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.ics",
        "no .ics": "/feeds/x",
        "token without .ics": f"/feeds/{live}",
        "revoked": f"/feeds/{revoked}.ics",
        "rotated away": f"/feeds/{old}.ics",
        "not a leading cadre": f"/feeds/{not_cadre}.ics",
        "empty": "/feeds/.ics",
    }
    replies = {why: server.request(path) for why, path in paths.items()}
    assert {why: r.status for why, r in replies.items()} == dict.fromkeys(paths, 404)
    bodies = {r.body for r in replies.values()}
    assert bodies == {NOT_FOUND.encode("utf-8")}
    for token in (live, revoked, old, new, not_cadre):
        assert all(token.encode() not in r.body for r in replies.values())
    assert {r.headers.get("etag") for r in replies.values()} == {None}

    rotated = server.feed(new)
    assert rotated.status == 200
    assert rotated.body == old_body
    assert server.feed(live).status == 200


def test_feed_is_cached_until_the_registers_or_the_day_change(
    server: Server, national: RulePack, tmp_path: Path
) -> None:
    token = server.token(BRANCH)
    first = server.feed(token)
    again = server.feed(token)
    assert server.service.builds == 1
    assert again.body == first.body
    assert again.headers["etag"] == first.headers["etag"]
    assert NEW_TOPIC not in first.unfolded

    _add_meeting(server.store, national, tmp_path)
    changed = server.feed(token)
    assert server.service.builds == 2
    assert changed.status == 200
    assert changed.headers["etag"] != first.headers["etag"]
    assert NEW_TOPIC in changed.unfolded
    assert changed.headers["last-modified"] != first.headers["last-modified"]

    # The old validators no longer match: the client gets the new feed, not a 304.
    stale_etag = server.feed(token, **{"If-None-Match": first.headers["etag"]})
    assert stale_etag.status == 200
    assert stale_etag.body == changed.body
    stale_date = server.feed(token, **{"If-Modified-Since": first.headers["last-modified"]})
    assert stale_date.status == 200
    assert stale_date.body == changed.body
    assert server.service.builds == 2

    server.clock.now = NOW + dt.timedelta(days=1)
    assert server.feed(token).status == 200
    assert server.service.builds == 3
    server.feed(token)
    assert server.service.builds == 3


@pytest.mark.parametrize("subject", ["JD01-01-G1", "JD01", "M0061"])
def test_group_committee_and_cadre_tokens_work(server: Server, subject: str) -> None:
    reply = server.feed(server.token(subject))
    assert reply.status == 200
    assert reply.body.startswith(b"BEGIN:VCALENDAR\r\n")
    assert reply.body.rstrip().endswith(b"END:VCALENDAR")


def test_healthz(server: Server) -> None:
    reply = server.request("/healthz")
    assert reply.status == 200
    assert json.loads(reply.body) == {"status": "ok"}


@pytest.fixture
def log_buffer() -> Iterator[io.StringIO]:
    """structlog rendered as JSON lines into a buffer, whatever another test configured."""
    saved = structlog.get_config()
    buffer = io.StringIO()
    structlog.configure(
        processors=[structlog.processors.JSONRenderer(ensure_ascii=False)],
        logger_factory=structlog.PrintLoggerFactory(buffer),
        wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG),
        cache_logger_on_first_use=False,
    )
    try:
        yield buffer
    finally:
        structlog.configure(**saved)


def test_logs_never_contain_the_token(server: Server, log_buffer: io.StringIO) -> None:
    token = server.token(BRANCH)
    gone = server.token("M0001")  # issued for a member with no feed: a 404
    statuses = [
        server.feed(token).status,
        server.feed(token, **{"If-None-Match": server.feed(token).headers["etag"]}).status,
        server.feed(gone).status,
        server.request(f"/feeds/{token}").status,
        server.request("/healthz").status,
        # Paths that miss the feed route but still hold the token: the router's own 404.
        server.request(f"/feeds/{token}.ics/").status,
        server.request(f"//feeds/{token}.ics").status,
    ]
    assert statuses == [200, 304, 404, 404, 200, 404, 404]

    # The access log line is written after the response is sent: wait for all eight.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lines = [json.loads(line) for line in log_buffer.getvalue().splitlines()]
        access = [e for e in lines if e.get("event") == "http_request"]
        if len(access) >= 8:
            break
        time.sleep(0.02)
    assert len(access) == 8, lines

    text = log_buffer.getvalue()
    assert token not in text
    assert gone not in text
    feed_lines = [(e["path"], e["status"]) for e in access if e["path"] != "/healthz"]
    assert sorted(feed_lines) == sorted(
        [("/feeds/<token>", s) for s in (200, 200, 304, 404, 404)]
        + [("/feeds/<token>.ics/", 404), ("//feeds/<token>.ics", 404)]
    )
    assert any(e.get("event") == "feed_built" and e.get("subject") == BRANCH for e in lines)


# --- signed links to the monthly summary ---------------------------------------------------------


def test_a_signed_summary_link_opens_without_a_login_and_nothing_else_does(
    server: Server,
) -> None:
    from docx import Document

    from monitor.reporting.links import ReportLink, link_key, signed_url

    key = link_key(server.store)
    assert link_key(server.store) == key  # made once, then shared
    url = signed_url("http://x", key, org="JD01", month="2026-10", now=server.clock())
    path = url.removeprefix("http://x")
    page = server.request(path)
    assert page.status == 200, page.body[:200]
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["cache-control"] == "private, no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    html = page.body.decode()
    assert "2026年10月" in html
    (docx_path,) = [p for p in html.split('"') if p.startswith("/reports/JD01/2026-10.docx?")]
    document = server.request(docx_path.replace("&amp;", "&"))
    assert document.status == 200
    assert "attachment" in document.headers["content-disposition"]
    text = "\n".join(p.text for p in Document(io.BytesIO(document.body)).paragraphs)
    assert "2026年10月" in text

    expires = int(path.split("expires=")[1].split("&")[0])
    signature = path.split("sig=")[1]
    forged_org = ReportLink("JD02", "2026-10", "html", expires).path(b"another key")
    refused = [
        path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB"),  # a changed signature
        path.replace("JD01", "JD02"),  # another org under the same signature
        path.replace("2026-10.html", "2026-09.html"),  # another month
        path.replace(f"expires={expires}", f"expires={expires + 86400}"),  # a longer life
        forged_org,  # signed with a key that is not the store's
        f"/reports/JD01/2026-10.exe?expires={expires}&sig={signature}",
        "/reports/JD01/2026-10.html",
    ]
    for bad in refused:
        reply = server.request(bad)
        assert reply.status == 404, bad
        assert "该通报链接无效或已过期" in reply.body.decode()
    server.clock.now = server.clock.now + dt.timedelta(days=31)  # past its 30 days
    assert server.request(path).status == 404
