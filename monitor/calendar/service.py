"""Application service for calendar feeds: read the store, evaluate, build, stamp, render.

The shell around :mod:`monitor.calendar.feed` and :mod:`monitor.calendar.ical` (both pure):
this is where the store is read and the stamps of changed events are written back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from monitor.calendar.feed import Feed, FeedInput, FeedKind, FeedSubject, build_feed
from monitor.calendar.ical import DEFAULT_REFRESH, etag, render, restamp, stamp
from monitor.calendar.store import FeedStore
from monitor.core.errors import OrglifeError
from monitor.core.evaluator import Evaluator, Window
from monitor.core.rules import RulePack
from monitor.core.workdays import WorkCalendar
from monitor.store import Store, aggregate
from monitor.store.settings import registers_begin

DEFAULT_PUBLIC_URL = "http://127.0.0.1:8080"
FEED_UID = "-"  # the stamp row of the whole feed; no event UID can be "-"


class UnknownSubjectError(OrglifeError):
    """A feed was asked for a code that is neither an org nor a leading cadre."""


@dataclass(frozen=True, slots=True)
class RenderedFeed:
    feed: Feed
    body: bytes
    etag: str
    last_modified: dt.datetime  # when the feed's content last changed
    changed: int  # events new or changed since the feed was last generated


def subject(store: Store, code: str) -> FeedSubject:
    """The feed subject ``code`` names: an org code, else a leading cadre's member id."""
    code = code.strip()
    orgs = store.orgs([code])
    if orgs:
        org = orgs[0]
        return FeedSubject(FeedSubject.kind_for(org), org)
    member = store.member(code)
    if member is None:
        raise UnknownSubjectError(
            f"“{code}”既不是台账中的组织编码，也不是党员编号；"
            "请用 orglife check --format json 核对，或先导入台账"
        )
    if not member.leader:
        raise UnknownSubjectError(
            f"党员{code}（{member.name}）不是领导干部，只有领导干部有自己的日历；"
            f"请订阅其所在支部（{member.org}）的日历"
        )
    return FeedSubject(FeedKind.CADRE, store.org(member.org), member)


def default_range(as_of: dt.date) -> tuple[dt.date, dt.date]:
    """What a subscribed feed covers: last year and this one, and next year from October on."""
    later = as_of + dt.timedelta(days=92)
    return dt.date(as_of.year - 1, 1, 1), dt.date(later.year, 12, 31)


def feed_input(
    store: Store,
    pack: RulePack,
    who: FeedSubject,
    *,
    as_of: dt.date,
    first: dt.date,
    last: dt.date,
) -> FeedInput:
    """Evaluate the subject's orgs for every period overlapping ``[first, last]``, except those
    that end before the registers began."""
    # Periods never cross a year, so starting the window on 1 January catches every period
    # that overlaps ``first``.
    window = Window.for_(as_of, dt.date(first.year, 1, 1), until=last, begin=registers_begin(store))
    if who.kind is FeedKind.GROUP:
        codes = [who.org.code]
    elif who.kind is FeedKind.CADRE:
        assert who.member is not None
        codes = [c for c in (who.member.org, who.member.group) if c]
    else:
        codes = store.subtree(who.org.code)
    registers = aggregate.registers(store, pack, window, codes)
    tallies = aggregate.tallies(store, pack, window, orgs=codes, with_records=True)
    findings = list(Evaluator(pack, window).evaluate(registers, tallies))
    records = []
    names: dict[str, str] = {}
    if who.kind is not FeedKind.OVERSIGHT and first <= as_of:
        attendee = who.member.id if who.member is not None else None
        records = store.records(codes, first, min(last, as_of), attendee=attendee)
        if any(r.lecturer for r in records):
            names = {m.id: m.name for m in store.members(codes)}
    return FeedInput(
        subject=who,
        orgs=registers.orgs,
        cadres={m.id: m for m in registers.cadres},
        findings=findings,
        records=records,
        names=names,
    )


def generate(
    store: Store,
    pack: RulePack,
    workdays: WorkCalendar,
    code: str | FeedSubject,
    *,
    as_of: dt.date,
    first: dt.date,
    last: dt.date,
    now: dt.datetime,
    refresh: dt.timedelta = DEFAULT_REFRESH,
) -> RenderedFeed:
    """Build ``code``'s feed, move the stamps of events that changed, and render it."""
    who = subject(store, code) if isinstance(code, str) else code
    data = feed_input(store, pack, who, as_of=as_of, first=first, last=last)
    feed = build_feed(data, pack, workdays, as_of=as_of, first=first, last=last)
    previous = FeedStore(store).stamps(who.code)
    stamps = stamp(feed.events, previous, now)
    changed = {uid: s for uid, s in stamps.items() if previous.get(uid) != s}
    body = render(feed, stamps, refresh=refresh)
    # The feed as a whole has a stamp too: its Last-Modified must move when an event is
    # dropped, which no remaining event's stamp would show.
    whole = restamp(previous.get(FEED_UID), hashlib.sha256(body).hexdigest(), now)
    FeedStore(store).save_stamps(
        who.code, {**changed, FEED_UID: whole} if whole != previous.get(FEED_UID) else changed
    )
    return RenderedFeed(feed, body, etag(body), whole.modified, len(changed))


def public_url() -> str:
    """The base URL subscribers reach the service at (``ORGLIFE_PUBLIC_URL``)."""
    base = os.environ.get("ORGLIFE_PUBLIC_URL", "").strip() or DEFAULT_PUBLIC_URL
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise OrglifeError(
            f"ORGLIFE_PUBLIC_URL={base!r} 不是 http(s) 地址；"
            "请设为订阅人访问本服务的地址，如 https://orglife.example.gov.cn"
        )
    return base.rstrip("/")


def feed_url(token: str, base: str | None = None) -> str:
    """The https (or http) subscription URL of the feed with ``token``."""
    return f"{(base or public_url()).rstrip('/')}/feeds/{token}.ics"


def webcal_url(url: str) -> str:
    """The same URL for calendar apps that open ``webcal://`` links (Apple, Outlook)."""
    parts = urlsplit(url)
    return urlunsplit(("webcal", *parts[1:]))
