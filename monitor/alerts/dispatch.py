"""The dispatcher: claims due outbox rows, sends them as digests per chat, marks the outcome.

Delivery guarantee
------------------
*At least once.* A row is marked sent only after Telegram accepted the message carrying it, in
the same dispatcher, right after the send returns; a row whose message was not accepted stays
pending (deferred, or given back) and goes out on a later run.

*Exactly once per chat*, with one exception: a message in flight when the process is killed
between the platform accepting it and the commit that marks its rows sent. Those rows are still
claimed by the dead dispatcher; once the lease expires they are claimed again and re-sent, so
that one message arrives twice. (A send that times out after Telegram accepted it is the same
case seen from the network: it is retried.) Nothing else is ever sent twice: a finished run
leaves no row claimed, a stopping run finishes the message in flight and gives the rest back,
and a dispatcher never starts a send when its lease is about to run out.

*Two dispatchers never send the same row*: claiming is atomic (``SELECT … FOR UPDATE SKIP
LOCKED`` on PostgreSQL, the single writer on SQLite), and a claimed row is invisible to other
claims until its lease expires.

Messages
--------
Per chat and kind, in the order missed (未按期), late records (补录), overdue ledger items
(问题台账逾期), reminders (到期提醒): one digest with a header line and one line per row, in
the chat's platform's :class:`~monitor.alerts.channels.style.Style` (Telegram plain text,
WeCom/DingTalk markdown, a Feishu card); a digest longer than the platform allows (UTF-16
units on Telegram, UTF-8 bytes elsewhere; ``max_chars`` overrides Telegram's 4096) is split
between lines, the continuation headers marked （续）. Then the monthly summary: its text as a
message of its own, and its files as documents where the platform takes files.

Rate limits
-----------
Each destination (a Telegram chat, a robot's webhook) has its platform's limits (20 a minute;
Feishu 100 a minute and 5 a second). Send slots are taken in the database
(:meth:`AlertStore.reserve`), so replicas share one count per robot; a robot the platform
throttled (DingTalk's 10-minute block) is blocked there for everyone. Chats take turns.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import ParamSpec, TypeVar

import structlog
from sqlalchemy.exc import IntegrityError

from monitor.alerts.channels.base import (
    Channel,
    ChatGone,
    ChatMoved,
    DeliveryError,
    Rejected,
    RetryLater,
)
from monitor.alerts.channels.style import Rate, Style, style_for
from monitor.alerts.plan import Chat, NoticeKind, Platform
from monitor.alerts.store import AlertStore, Pending
from monitor.store import Store
from monitor.text.render import render

log = structlog.get_logger("orglife.dispatch")

P = ParamSpec("P")
T = TypeVar("T")

KIND_ORDER = (
    NoticeKind.MISSED,
    NoticeKind.LATE,
    NoticeKind.OVERDUE,
    NoticeKind.RED,  # escalation (三色预警)
    NoticeKind.REPEAT,  # escalation (三色预警)
    NoticeKind.REMINDER,
    NoticeKind.SUMMARY,
    NoticeKind.REPORT,
)
# Kinds whose rows are whole messages (a summary's text, a workbook), not digest lines.
WHOLE = frozenset({NoticeKind.SUMMARY, NoticeKind.REPORT})
CAPTION_MAX_CHARS = 1024

TELEGRAM_MAX_CHARS = 4096

BACKOFF_FIRST = 30.0  # seconds before the first retry after a transient failure
BACKOFF_MAX = 3600.0
MAX_MIGRATIONS = 3  # per message; a chat that keeps moving is treated as a transient failure
WINDOW = dt.timedelta(seconds=60)


def header(kind: NoticeKind, total: int, first: int = 1, last: int | None = None) -> str:
    """A digest's header line; a continuation (``first`` > 1) says （续） and which items."""
    return render(
        "alerts/header.txt",
        kind=kind.value,
        total=total,
        first=first,
        last=last if last is not None else total,
    )


def text_length(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def compose(
    kind: NoticeKind, lines: Sequence[str], limit: int | Style, style: Style | None = None
) -> list[tuple[str, range]]:
    """Digest texts for ``lines`` of one kind in ``style`` (default Telegram's), each at most
    ``limit`` units long, with the index range of the lines each carries. Lines are never
    split; a single line too long for a message on its own (never the planner's) is cut
    short. ``limit`` may be given as the style alone (its own limit)."""
    if isinstance(limit, Style):
        style, limit = limit, limit.limit
    style = style or Style()
    total = len(lines)
    if total == 0:
        return []
    newline = style.measure(style.newline)
    # Budget the headers at their longest (every number as wide as the total).
    first_room = limit - style.measure(style.heading(header(kind, total)))
    later_room = limit - style.measure(style.heading(header(kind, total, total, total)))
    parts: list[tuple[int, list[str]]] = []
    i = 0
    while i < total:
        room = first_room if not parts else later_room
        start, used = i, 0
        chunk: list[str] = []
        while i < total:
            item = style.item(lines[i])
            cost = newline + style.measure(item)
            if chunk and used + cost > room:
                break
            if not chunk and cost > room:
                item = style.truncate(item, room - newline)
                cost = newline + style.measure(item)
            chunk.append(item)
            used += cost
            i += 1
        parts.append((start, chunk))
    result: list[tuple[str, range]] = []
    for start, chunk in parts:
        head = style.heading(header(kind, total, start + 1, start + len(chunk)))
        result.append((style.newline.join([head, *chunk]), range(start, start + len(chunk))))
    return result


@dataclass
class DispatchReport:
    """What one run (or several, added up) did."""

    rows_claimed: int = 0
    messages: int = 0  # messages Telegram accepted
    rows_sent: int = 0
    rows_deferred: int = 0  # to be retried later (flood control, transient failures)
    rows_dropped: int = 0  # rejected by Telegram for good
    rows_released: int = 0  # given back unsent (stopping, lease running out, chat disabled)
    chats_disabled: int = 0
    chats_migrated: int = 0

    def __add__(self, other: DispatchReport) -> DispatchReport:
        return DispatchReport(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )

    @property
    def settled(self) -> int:
        """Rows this run decided about (sent, deferred, dropped, or given back with their chat
        disabled)."""
        return self.rows_sent + self.rows_deferred + self.rows_dropped + self.chats_disabled

    def __str__(self) -> str:
        return (
            f"消息 {self.messages} 条（{self.rows_sent} 项），延后 {self.rows_deferred} 项，"
            f"丢弃 {self.rows_dropped} 项，停用群聊 {self.chats_disabled} 个，"
            f"迁移群聊 {self.chats_migrated} 个"
        )


@dataclass
class _Message:
    chat: Chat  # the chat row (its org, for logs)
    kind: NoticeKind
    text: str
    rows: list[Pending] = field(default_factory=list)
    document: bytes | None = None
    filename: str | None = None

    @property
    def ids(self) -> list[int]:
        return [r.id for r in self.rows]


class Dispatcher:
    """Sends the outbox through ``channel``; ``worker`` names this process in claims.

    ``clock`` and ``sleep`` must agree (tests pass a fake clock whose ``sleep`` advances it).
    """

    def __init__(
        self,
        store: Store,
        channel: Channel,
        *,
        worker: str,
        clock: Callable[[], dt.datetime],
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        lease: dt.timedelta = dt.timedelta(minutes=5),
        per_chat_per_minute: int = 20,
        max_wait: float = 30.0,
        max_chars: int = TELEGRAM_MAX_CHARS,
        batch: int = 500,
        rates: Mapping[Platform, tuple[Rate, ...]] | None = None,
    ) -> None:
        if max_chars < 200:
            raise ValueError("max_chars must leave room for a header and a line")
        if per_chat_per_minute < 1:
            raise ValueError("per_chat_per_minute must be at least 1")
        self.store = store
        self.channel = channel
        self.worker = worker
        self.clock = clock
        self.sleep = sleep
        self.lease = lease
        self.per_chat_per_minute = per_chat_per_minute
        self.max_wait = max_wait
        self.max_chars = max_chars
        self.batch = batch
        self.rates = dict(rates or {})  # per platform, instead of the platform's documented
        # No send starts this close to the end of the lease: a send and a flood wait fit.
        self.margin = min(dt.timedelta(seconds=max_wait + 30), lease / 2)
        # Destinations known to be at their limit until then (saves asking the database).
        self._not_before: dict[str, dt.datetime] = {}

    def style(self, platform: Platform) -> Style:
        """The platform's style; Telegram's with this dispatcher's ``max_chars`` and rate, and
        any platform's rates replaced by ``rates`` when given."""
        style = style_for(platform)
        if platform is Platform.TELEGRAM:
            style = replace(
                style,
                limit=self.max_chars,
                rates=(Rate(self.per_chat_per_minute, WINDOW.total_seconds()),),
            )
        if platform in self.rates:
            style = replace(style, rates=self.rates[platform])
        return style

    # --- the run ---------------------------------------------------------------------------

    async def run_once(self, stop: asyncio.Event | None = None) -> DispatchReport:
        """Claim what is due, send it, mark it; return early (giving back the rest) on
        ``stop``, after finishing the message in flight."""
        report = DispatchReport()
        if _stopping(stop):
            return report
        started = self.clock()
        rows = await _db(
            AlertStore(self.store).claim,
            self.worker,
            now=started,
            lease=self.lease,
            limit=self.batch,
        )
        report.rows_claimed = len(rows)
        if not rows:
            return report
        deadline = started + self.lease - self.margin
        queues = self._messages(rows)
        turns = deque(queues)
        try:
            while turns:
                if _stopping(stop):
                    break
                now = self.clock()
                pick, wait = await self._next(turns, queues, now)
                if now + dt.timedelta(seconds=wait) >= deadline:
                    log.warning("lease_ending", worker=self.worker, chats_left=len(turns))
                    break
                if pick is None:
                    await self._pause(wait, stop)
                    continue
                turns.remove(pick)
                after = await self._deliver(pick, queues, report, stop, deadline)
                if after is not None and queues.get(after) and after not in turns:
                    turns.append(after)
        finally:
            leftover = [i for queue in queues.values() for m in queue for i in m.ids]
            if leftover:
                try:
                    await _db(AlertStore(self.store).release, leftover, worker=self.worker)
                    report.rows_released += len(leftover)
                except Exception as exc:  # the lease expires on its own; keep the first error
                    log.error("release_failed", rows=len(leftover), error=str(exc))
        if report.messages or report.rows_deferred or report.rows_dropped:
            log.info(
                "dispatched",
                worker=self.worker,
                messages=report.messages,
                sent=report.rows_sent,
                deferred=report.rows_deferred,
                dropped=report.rows_dropped,
                released=report.rows_released,
            )
        return report

    async def run_until_idle(self, stop: asyncio.Event | None = None) -> DispatchReport:
        """Run until nothing is claimable now (or ``stop``); the runs' reports added up."""
        total = DispatchReport()
        while not _stopping(stop):
            report = await self.run_once(stop)
            total += report
            if report.rows_claimed == 0 or report.settled == 0:
                break  # nothing due, or everything claimed was given back: do not spin
        return total

    # --- planning ------------------------------------------------------------------------

    def _messages(self, rows: Sequence[Pending]) -> dict[str, deque[_Message]]:
        """Digests per destination: per chat row, then by kind, oldest rows first."""
        by_row: dict[int, list[Pending]] = {}
        for row in rows:
            by_row.setdefault(row.chat.id, []).append(row)
        queues: dict[str, deque[_Message]] = {}
        for chat_rows in by_row.values():
            chat = chat_rows[0].chat
            style = self.style(chat.platform)
            queue = queues.setdefault(chat.address, deque())
            for kind in KIND_ORDER:
                of_kind = [r for r in chat_rows if r.kind is kind]
                if kind in WHOLE:
                    for row in of_kind:
                        limit = style.limit
                        if row.document is not None and chat.platform is Platform.TELEGRAM:
                            limit = CAPTION_MAX_CHARS
                        text = style.truncate(row.line, limit)
                        queue.append(_Message(chat, kind, text, [row], row.document, row.filename))
                    continue
                for text, span in compose(kind, [r.line for r in of_kind], style):
                    queue.append(_Message(chat, kind, text, [of_kind[i] for i in span]))
        return queues

    async def _next(
        self, turns: deque[str], queues: dict[str, deque[_Message]], now: dt.datetime
    ) -> tuple[str | None, float]:
        """The first destination in turn that has a send slot now (taken for it); else how
        long until one may."""
        soonest: float | None = None
        for address in turns:
            known = self._not_before.get(address)
            if known is not None and known > now:
                wait = (known - now).total_seconds()
            else:
                style = self.style(queues[address][0].chat.platform)
                wait = await _db(
                    AlertStore(self.store).reserve, address, now=now, rates=style.rates
                )
                if wait <= 0:
                    self._not_before.pop(address, None)
                    return address, 0.0
                self._not_before[address] = now + dt.timedelta(seconds=wait)
            soonest = wait if soonest is None else min(soonest, wait)
        return None, soonest or 0.0

    # --- one message ----------------------------------------------------------------------

    async def _deliver(
        self,
        address: str,
        queues: dict[str, deque[_Message]],
        report: DispatchReport,
        stop: asyncio.Event | None,
        deadline: dt.datetime,
    ) -> str | None:
        """Send the head of ``address``'s queue and settle its rows. Returns the address under
        which the queue goes on (it changes when a Telegram chat moved), or None when done."""
        queue = queues[address]
        message = queue[0]
        migrations = 0
        while True:
            try:
                if message.document is not None:
                    message_id = await self.channel.send_document(
                        message.chat,
                        message.filename or "report.xlsx",
                        message.document,
                        message.text,
                    )
                else:
                    message_id = await self.channel.send(message.chat, message.text)
            except RetryLater as exc:
                now = self.clock()
                resume = now + dt.timedelta(seconds=exc.seconds)
                if exc.robot:  # the platform blocked the robot: every replica must wait
                    await _db(AlertStore(self.store).block, address, resume)
                    self._not_before[address] = resume
                elif exc.seconds <= self.max_wait and resume < deadline:
                    log.info(
                        "flood_wait",
                        chat_id=message.chat.chat_id,
                        address=address,
                        seconds=exc.seconds,
                    )
                    await self._pause(exc.seconds, stop)
                    if _stopping(stop):
                        return address  # unsent: given back with the rest
                    continue
                await self._defer(queues.pop(address), resume, str(exc), report)
                log.warning(
                    "flood_deferred",
                    chat_id=message.chat.chat_id,
                    address=address,
                    seconds=exc.seconds,
                )
                return None
            except ChatMoved as exc:
                migrations += 1
                if migrations > MAX_MIGRATIONS:
                    await self._transient(address, queues, message, str(exc), report)
                    return None
                address = await self._migrate(address, exc.new_chat_id, queues, message)
                message = queues[address][0]
                queue = queues[address]
                report.chats_migrated += 1
                continue
            except ChatGone as exc:
                ids = [i for m in queues.pop(address) for i in m.ids]
                now = self.clock()
                await _db(AlertStore(self.store).disable_chat, address, exc.reason, now=now)
                await _db(AlertStore(self.store).release, ids, worker=self.worker)
                report.chats_disabled += 1
                report.rows_released += len(ids)
                log.warning(
                    "chat_disabled",
                    chat_id=message.chat.chat_id,
                    address=address,
                    platform=message.chat.platform.value,
                    org=message.chat.org,
                    reason=exc.reason,
                )
                return None
            except Rejected as exc:
                now = self.clock()
                await _db(
                    AlertStore(self.store).mark_dropped,
                    message.ids,
                    worker=self.worker,
                    now=now,
                    reason=exc.reason,
                )
                queue.popleft()
                report.rows_dropped += len(message.ids)
                log.warning(
                    "message_rejected",
                    chat_id=message.chat.chat_id,
                    address=address,
                    org=message.chat.org,
                    rows=len(message.ids),
                    reason=exc.reason,
                )
                return address
            except DeliveryError as exc:  # Transient, and anything not more specific
                await self._transient(address, queues, message, str(exc), report)
                return None
            break
        # The platform accepted it: mark at once, whatever else is going on.
        now = self.clock()
        await _db(
            AlertStore(self.store).mark_sent,
            message.ids,
            worker=self.worker,
            now=now,
            message_id=message_id,
        )
        queue.popleft()
        report.messages += 1
        report.rows_sent += len(message.ids)
        return address

    async def _transient(
        self,
        address: str,
        queues: dict[str, deque[_Message]],
        message: _Message,
        error: str,
        report: DispatchReport,
    ) -> None:
        """Retry the destination's rows later, backing off by the attempts so far."""
        attempts = max(r.attempts for r in message.rows)
        delay = backoff(attempts)
        await self._defer(
            queues.pop(address), self.clock() + dt.timedelta(seconds=delay), error, report
        )
        log.warning(
            "delivery_failed",
            chat_id=message.chat.chat_id,
            address=address,
            org=message.chat.org,
            error=error,
            attempts=attempts,
            retry_in=delay,
        )

    async def _defer(
        self,
        queue: deque[_Message],
        available: dt.datetime,
        error: str,
        report: DispatchReport,
    ) -> None:
        ids = [i for m in queue for i in m.ids]
        await _db(
            AlertStore(self.store).mark_retry,
            ids,
            worker=self.worker,
            now=self.clock(),
            available=available,
            error=error,
        )
        report.rows_deferred += len(ids)

    async def _migrate(
        self, old: str, new_chat_id: int, queues: dict[str, deque[_Message]], message: _Message
    ) -> str:
        """A Telegram group became a supergroup: re-address its queue to the new id."""
        old_id = message.chat.chat_id
        new = f"telegram:{new_chat_id}"
        if old_id is not None:
            try:
                await _db(AlertStore(self.store).migrate_chat, old_id, new_chat_id)
            except IntegrityError:
                # The new id is already linked to the same org and role: send there this
                # time; the old link keeps redirecting until it is removed.
                log.warning(
                    "chat_migration_conflict", old=old_id, new=new_chat_id, org=message.chat.org
                )
            else:
                log.warning("chat_migrated", old=old_id, new=new_chat_id, org=message.chat.org)
        queue = deque(
            replace(m, chat=replace(m.chat, chat_id=new_chat_id, address=new))
            for m in queues.pop(old)
        )
        existing = queues.get(new)
        if existing is not None:
            queue.extend(existing)
        queues[new] = queue
        if old in self._not_before:
            self._not_before[new] = self._not_before.pop(old)
        return new

    async def _pause(self, seconds: float, stop: asyncio.Event | None) -> None:
        """Sleep ``seconds`` with the injected sleep, cut short by ``stop``."""
        if seconds <= 0:
            return
        if stop is None:
            await self.sleep(seconds)
            return
        if stop.is_set():
            return
        sleeping = asyncio.ensure_future(self.sleep(seconds))
        stopping = asyncio.ensure_future(stop.wait())
        _, pending = await asyncio.wait({sleeping, stopping}, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def backoff(attempts: int) -> float:
    """Seconds before retrying after ``attempts`` transient failures: 30, 60, 120, … ≤ 1 h."""
    return min(BACKOFF_FIRST * 2.0 ** min(max(attempts - 1, 0), 20), BACKOFF_MAX)


def _stopping(stop: asyncio.Event | None) -> bool:
    return stop is not None and stop.is_set()


async def _db(function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """A store call off the event loop (the bot and the HTTP server share it)."""
    return await asyncio.to_thread(function, *args, **kwargs)
