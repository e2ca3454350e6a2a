"""The dispatcher against the fake Telegram: digests, splitting, retries, dead chats, migration,
a killed dispatcher, two dispatchers on one database, the console channel and the token."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import signal
import subprocess
import sys
import threading
import traceback
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from monitor.alerts.channels import (
    Channel,
    ChatGone,
    ChatMoved,
    ConsoleChannel,
    DeliveryError,
    Rejected,
    RetryLater,
    TelegramChannel,
    Transient,
    channel_from_env,
    telegram_from_env,
)
from monitor.alerts.dispatch import Dispatcher, DispatchReport, backoff, compose, header
from monitor.alerts.plan import (
    AlertPlan,
    Chat,
    ChatRole,
    FindingKey,
    Notice,
    NoticeKind,
    Platform,
)
from monitor.alerts.store import AlertStore
from monitor.alerts.summaries import SummaryBundle, plan_summaries
from monitor.core.rules import Escalation, RulePack
from monitor.holidays import work_calendar
from monitor.service.runner import run_cycle
from monitor.store import Store
from tests.fake_telegram import FakeTelegram

BRANCH, INSPECTOR = -1001, -2002
NOW = dt.datetime(2026, 11, 24, 2, tzinfo=dt.UTC)  # 10:00 in Shanghai
AS_OF = dt.date(2026, 11, 24)
CHILD = Path(__file__).parent / "dispatch_child.py"


def to_chat(chat_id: int) -> Chat:
    """A Telegram chat row to send to directly."""
    return Chat(0, chat_id, "JD01", ChatRole.BRANCH)


class FakeTime:
    """The dispatcher's clock and sleep: sleeping advances the clock, instantly."""

    def __init__(self, start: dt.datetime = NOW) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> dt.datetime:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += dt.timedelta(seconds=seconds)
        await asyncio.sleep(0)

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


class Recorder:
    """A channel that keeps what it was given (with the fake time), and can fail on cue."""

    def __init__(self, clock: FakeTime) -> None:
        self.clock = clock
        self.sent: list[tuple[dt.datetime, int, str]] = []
        self.failures: dict[int, list[DeliveryError]] = {}
        self.on_send: list[Callable[[], None]] = []
        self.closed = False

    async def send(self, chat: Chat, text: str) -> int | None:
        assert chat.chat_id is not None
        chat_id = chat.chat_id
        queued = self.failures.get(chat_id)
        if queued:
            raise queued.pop(0)
        self.sent.append((self.clock(), chat_id, text))
        for hook in self.on_send:
            hook()
        return len(self.sent)

    async def send_document(
        self, chat: Chat, filename: str, data: bytes, caption: str | None = None
    ) -> int | None:
        return await self.send(chat, f"[{filename}, {len(data)} bytes] {caption or ''}")

    async def aclose(self) -> None:
        self.closed = True


@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    with FakeTelegram() as fake:
        yield fake


def enqueue_demo(store: Store, national: RulePack) -> Store:
    AlertStore(store).add_chat("JD01-06-01", BRANCH, ChatRole.BRANCH, now=NOW)
    AlertStore(store).add_chat("JD01", INSPECTOR, ChatRole.INSPECTOR, now=NOW)
    cycle(store, national)
    return store


def cycle(store: Store, national: RulePack) -> int:
    # Delivery is tested here; the escalation's repeats and red notices (三色预警) are left out
    # of the demo's counts (tests/test_escalation.py delivers them).
    quiet = replace(national, escalation=Escalation(enabled=False))
    report = run_cycle(store, quiet, work_calendar(warn=lambda *a: None), as_of=AS_OF, now=NOW)
    return report.total


@pytest.fixture
def linked(demo_store: Store, national: RulePack) -> Store:
    """The demo district with a branch and an inspector chat and its ~55 notices enqueued."""
    return enqueue_demo(demo_store, national)


def dispatcher(store: Store, channel: Channel, clock: FakeTime, **options: object) -> Dispatcher:
    return Dispatcher(
        store,
        channel,
        worker=str(options.pop("worker", "test")),
        clock=clock,
        sleep=clock.sleep,
        **options,  # type: ignore[arg-type]
    )


def dispatch(
    store: Store, channel: Channel, clock: FakeTime | None = None, **options: object
) -> DispatchReport:
    """Run one dispatcher until idle, in its own event loop, and close the channel."""
    runner = dispatcher(store, channel, clock or FakeTime(), **options)

    async def main() -> DispatchReport:
        try:
            return await runner.run_until_idle()
        finally:
            await channel.aclose()

    return asyncio.run(main())


def tg(telegram: FakeTelegram) -> TelegramChannel:
    return TelegramChannel(telegram.token, telegram.base_url)


def body(text: str) -> list[str]:
    """A message's item lines, without the header and the bullets."""
    lines = text.split("\n")[1:]
    assert all(line.startswith("• ") for line in lines), text
    return [line[2:] for line in lines]


def delivered(texts: Sequence[str]) -> Counter[str]:
    return Counter(line for text in texts for line in body(text))


def expected(store: Store, chat_id: int) -> Counter[str]:
    return Counter(r["line"] for r in AlertStore(store).outbox() if r["chat_id"] == chat_id)


def aware(moment: dt.datetime) -> dt.datetime:
    """SQLite hands back naive UTC."""
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment


def synthetic(
    store: Store, chat: Chat, count: int, kind: NoticeKind = NoticeKind.MISSED, width: int = 120
) -> list[str]:
    """Enqueue ``count`` made-up notices of ``kind`` for ``chat``; their lines."""
    notices = []
    for i in range(count):
        key = FindingKey(chat.org, "", "rule", f"P{i:04d}")
        prefix = f"{chat.chat_id}/{kind.value}/{i:04d} "
        line = prefix + "组" * (width - len(prefix))
        notices.append(Notice(f"{kind.value}:{key.token}", chat.id, kind, key, line))
    AlertStore(store).record(AlertPlan(notices=notices), now=NOW)
    return [n.line for n in notices]


# --- messages --------------------------------------------------------------------------------


def test_headers_and_splitting_of_one_digest() -> None:
    assert header(NoticeKind.MISSED, 36) == "【组织生活未按期开展通报】共36项："
    assert header(NoticeKind.LATE, 2) == "【补录情况通报】以下2项已补录："
    assert header(NoticeKind.REMINDER, 1) == "【组织生活到期提醒】共1项："
    assert (
        header(NoticeKind.MISSED, 90, 41, 80)
        == "【组织生活未按期开展通报（续）】第41—80项，共90项："
    )
    lines = [f"{i:03d} " + "党" * 96 for i in range(90)]
    parts = compose(NoticeKind.MISSED, lines, 1000)
    assert len(parts) > 5
    assert all(len(text) <= 1000 for text, _ in parts)
    assert [line for text, _ in parts for line in body(text)] == lines
    assert [i for _, span in parts for i in span] == list(range(90))
    # A line too long for any message is cut, not split over two.
    (only,) = compose(NoticeKind.REMINDER, ["长" * 5000], 4096)
    assert len(only[0]) <= 4096
    assert only[0].endswith("…")
    assert [backoff(n) for n in (1, 2, 3, 8, 99)] == [30, 60, 120, 3600, 3600]


def test_one_digest_per_chat_and_kind_and_every_line_once(
    linked: Store, telegram: FakeTelegram
) -> None:
    report = dispatch(linked, tg(telegram))
    inspector = telegram.messages_to(INSPECTOR)
    branch = telegram.messages_to(BRANCH)
    assert len(inspector) == 1
    assert inspector[0].startswith("【组织生活未按期开展通报】共36项：\n• ")
    assert [m.split("\n")[0] for m in branch] == [
        "【组织生活未按期开展通报】共18项：",
        "【组织生活到期提醒】共1项：",
    ]
    for chat_id, texts in ((INSPECTOR, inspector), (BRANCH, branch)):
        assert delivered(texts) == expected(linked, chat_id)
    rows = AlertStore(linked).outbox()
    assert len(rows) == 55
    assert {r["state"] for r in rows} == {"sent"}
    assert not any(r["claimed_by"] for r in rows)
    ids = {s.message_id for s in telegram.sent}
    assert {r["message_id"] for r in rows} == ids
    assert (report.messages, report.rows_sent, report.rows_claimed) == (3, 55, 55)
    assert str(report).startswith("消息 3 条（55 项）")


def test_long_digests_are_split_under_4096_between_lines(
    demo_store: Store, telegram: FakeTelegram
) -> None:
    chat = AlertStore(demo_store).add_chat("JD01", INSPECTOR, ChatRole.INSPECTOR, now=NOW)
    reminders = synthetic(demo_store, chat, 40, NoticeKind.REMINDER)
    missed = synthetic(demo_store, chat, 300, NoticeKind.MISSED)
    late = synthetic(demo_store, chat, 60, NoticeKind.LATE, width=300)
    dispatch(demo_store, tg(telegram))
    texts = telegram.messages_to(INSPECTOR)
    assert len(texts) > 3
    assert all(len(t) <= 4096 for t in texts)
    heads = [t.split("\n")[0] for t in texts]
    kinds = [
        NoticeKind.MISSED
        if "未按期" in h
        else NoticeKind.LATE
        if "补录" in h
        else NoticeKind.REMINDER
        for h in heads
    ]
    assert kinds == sorted(
        kinds, key=[NoticeKind.MISSED, NoticeKind.LATE, NoticeKind.REMINDER].index
    )
    assert heads[0] == "【组织生活未按期开展通报】共300项："
    assert heads[kinds.index(NoticeKind.LATE)] == "【补录情况通报】以下60项已补录："
    assert heads[kinds.index(NoticeKind.REMINDER)] == "【组织生活到期提醒】共40项："
    firsts = {kinds.index(k) for k in set(kinds)}
    for i, head in enumerate(heads):
        assert ("（续）】第" in head) is (i not in firsts), head
    # Each message is as full as it may be: the next line would not have fitted.
    missed_texts = [t for t, k in zip(texts, kinds, strict=True) if k is NoticeKind.MISSED]
    assert all(
        len(t) > 4096 - 130 for t in missed_texts[:-1]
    )  # full: a 123-char line more won't fit
    assert [line for t in missed_texts for line in body(t)] == missed
    assert delivered(texts) == Counter(missed + late + reminders)


def test_nothing_is_sent_twice_across_runs_and_restarts(
    linked: Store, national: RulePack, telegram: FakeTelegram, db_url: str
) -> None:
    dispatch(linked, tg(telegram))
    count = len(telegram.sent)
    assert count == 3
    assert cycle(linked, national) == 0
    assert dispatch(linked, tg(telegram)).rows_claimed == 0
    with Store.open(db_url) as fresh:  # a restarted process
        assert cycle(fresh, national) == 0
        report = dispatch(fresh, tg(telegram), FakeTime(NOW + dt.timedelta(days=1)))
    assert report.rows_claimed == 0
    assert len(telegram.sent) == count


# --- flood control, dead chats, migration, network --------------------------------------------


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # PTB 22's own int retry_after
def test_a_short_flood_wait_is_slept_and_the_message_sent_once(
    linked: Store, telegram: FakeTelegram
) -> None:
    telegram.fail(INSPECTOR, status=429, retry_after=3)
    clock = FakeTime()
    report = dispatch(linked, tg(telegram), clock)
    assert clock.sleeps == [3]
    assert len(telegram.messages_to(INSPECTOR)) == 1
    assert delivered(telegram.messages_to(INSPECTOR)) == expected(linked, INSPECTOR)
    assert report.rows_deferred == 0
    assert {r["state"] for r in AlertStore(linked).outbox()} == {"sent"}


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_a_long_flood_wait_defers_the_chat_until_later(
    linked: Store, telegram: FakeTelegram
) -> None:
    telegram.fail(INSPECTOR, status=429, retry_after=120)
    clock = FakeTime()
    report = dispatch(linked, tg(telegram), clock)
    assert clock.sleeps == []
    assert telegram.messages_to(INSPECTOR) == []
    assert len(telegram.messages_to(BRANCH)) == 2  # the other chat goes on
    assert report.rows_deferred == 36
    pending = AlertStore(linked).outbox(state="pending")
    assert {r["chat_id"] for r in pending} == {INSPECTOR}
    assert all(aware(r["available"]) == NOW + dt.timedelta(seconds=120) for r in pending)
    retries = [d for d in AlertStore(linked).deliveries() if d["outcome"] == "retry"]
    assert len(retries) == 36
    assert "120" in retries[0]["detail"]

    clock.advance(60)  # not yet
    assert dispatch(linked, tg(telegram), clock).rows_claimed == 0
    clock.advance(61)
    report = dispatch(linked, tg(telegram), clock)
    assert report.rows_sent == 36
    assert len(telegram.messages_to(INSPECTOR)) == 1
    assert delivered(telegram.messages_to(INSPECTOR)) == expected(linked, INSPECTOR)
    assert AlertStore(linked).outbox(state="pending") == []


@pytest.mark.parametrize("status", [403, 400], ids=["forbidden", "chat-not-found"])
def test_a_chat_the_bot_left_is_disabled_and_its_rows_wait(
    linked: Store, telegram: FakeTelegram, status: int
) -> None:
    telegram.fail(BRANCH, status=status)
    with capture_logs() as logs:
        report = dispatch(linked, tg(telegram))
    assert report.chats_disabled == 1
    (event,) = [e for e in logs if e["event"] == "chat_disabled"]
    assert event["chat_id"] == BRANCH
    assert event["org"] == "JD01-06-01"
    assert event["log_level"] == "warning"
    reason = "bot was kicked" if status == 403 else "chat not found"
    assert reason in event["reason"].lower()
    (chat,) = AlertStore(linked).chats(chat_id=BRANCH)
    assert chat.enabled is False
    assert reason in (chat.disabled_reason or "").lower()
    assert delivered(telegram.messages_to(INSPECTOR)) == expected(linked, INSPECTOR)
    assert telegram.messages_to(BRANCH) == []
    waiting = AlertStore(linked).outbox(state="pending")
    assert len(waiting) == 19
    assert {r["chat_id"] for r in waiting} == {BRANCH}
    assert not any(r["claimed_by"] for r in waiting)
    assert dispatch(linked, tg(telegram)).rows_claimed == 0  # disabled: not claimed

    AlertStore(linked).add_chat("JD01-06-01", BRANCH, ChatRole.BRANCH, now=NOW)  # linked again
    report = dispatch(linked, tg(telegram))
    assert report.rows_sent == 19
    assert delivered(telegram.messages_to(BRANCH)) == expected(linked, BRANCH)
    assert AlertStore(linked).outbox(state="pending") == []


def test_a_migrated_group_is_followed_to_its_new_id(linked: Store, telegram: FakeTelegram) -> None:
    moved = -1009990001
    telegram.fail(BRANCH, migrate_to=moved)
    report = dispatch(linked, tg(telegram))
    assert report.chats_migrated == 1
    assert telegram.messages_to(BRANCH) == []
    texts = telegram.messages_to(moved)
    assert len(texts) == 2
    assert delivered(texts) == expected(linked, moved)
    assert sum(delivered(texts).values()) == 19
    assert AlertStore(linked).chats(chat_id=BRANCH) == []
    (chat,) = AlertStore(linked).chats(chat_id=moved)
    assert (chat.org, chat.role, chat.enabled) == ("JD01-06-01", ChatRole.BRANCH, True)
    assert dispatch(linked, tg(telegram)).rows_claimed == 0
    assert len(telegram.messages_to(moved)) == 2


def test_a_group_moved_onto_an_already_linked_id_still_gets_its_rows(linked: Store) -> None:
    moved = -1009990002
    AlertStore(linked).add_chat(
        "JD01-06-01", moved, ChatRole.BRANCH, now=NOW
    )  # linked again by hand
    clock = FakeTime()
    channel = Recorder(clock)
    channel.failures[BRANCH] = [ChatMoved(moved)]
    with capture_logs() as logs:
        report = dispatch(linked, channel, clock)
    assert any(e["event"] == "chat_migration_conflict" for e in logs)
    assert report.rows_sent == 55
    texts = [text for _, chat_id, text in channel.sent if chat_id == moved]
    assert delivered(texts) == expected(linked, BRANCH)
    assert not [text for _, chat_id, text in channel.sent if chat_id == BRANCH]


@pytest.mark.parametrize("failure", [{"status": 500}, {"drop": True}], ids=["500", "dropped"])
def test_a_network_failure_is_retried_later_and_delivered_once(
    linked: Store, telegram: FakeTelegram, failure: dict[str, object]
) -> None:
    telegram.fail(INSPECTOR, **failure)  # type: ignore[arg-type]
    clock = FakeTime()
    with capture_logs() as logs:
        report = dispatch(linked, tg(telegram), clock)
    assert report.rows_deferred == 36
    assert telegram.messages_to(INSPECTOR) == []
    (event,) = [e for e in logs if e["event"] == "delivery_failed"]
    assert event["retry_in"] == 30
    rows = AlertStore(linked).outbox(state="pending")
    assert len(rows) == 36
    assert all(r["last_error"] for r in rows)
    clock.advance(31)
    telegram.fail(INSPECTOR, **failure)  # type: ignore[arg-type]
    with capture_logs() as logs:
        dispatch(linked, tg(telegram), clock)
    (event,) = [e for e in logs if e["event"] == "delivery_failed"]
    assert event["retry_in"] == 60  # backing off
    clock.advance(61)
    dispatch(linked, tg(telegram), clock)
    assert len(telegram.messages_to(INSPECTOR)) == 1
    assert delivered(telegram.messages_to(INSPECTOR)) == expected(linked, INSPECTOR)
    assert AlertStore(linked).outbox(state="pending") == []


def test_a_rejected_message_is_dropped_and_the_rest_go_on(
    linked: Store, telegram: FakeTelegram
) -> None:
    telegram.fail(BRANCH, status=400, description="Bad Request: message text is empty")
    report = dispatch(linked, tg(telegram))
    assert report.rows_dropped == 18
    dropped = AlertStore(linked).outbox(state="dropped")
    assert len(dropped) == 18
    assert "text is empty" in dropped[0]["last_error"]
    assert [m.split("\n")[0] for m in telegram.messages_to(BRANCH)] == [
        "【组织生活到期提醒】共1项："
    ]
    assert len(telegram.messages_to(INSPECTOR)) == 1


# --- pacing and stopping ----------------------------------------------------------------------


def test_at_most_n_messages_a_minute_per_chat_and_chats_take_turns(demo_store: Store) -> None:
    busy = AlertStore(demo_store).add_chat("JD01", INSPECTOR, ChatRole.INSPECTOR, now=NOW)
    quiet = AlertStore(demo_store).add_chat("JD01-06-01", BRANCH, ChatRole.BRANCH, now=NOW)
    synthetic(demo_store, busy, 40, width=150)
    synthetic(demo_store, quiet, 2, NoticeKind.REMINDER)
    clock = FakeTime()
    channel = Recorder(clock)
    report = dispatch(demo_store, channel, clock, per_chat_per_minute=3, max_chars=400)
    assert report.rows_sent == 42
    busy_sends = [at for at, chat_id, _ in channel.sent if chat_id == INSPECTOR]
    assert len(busy_sends) == 20  # two 150-character lines to a 400-character message
    for i, at in enumerate(busy_sends):
        in_window = [t for t in busy_sends[i:] if t < at + dt.timedelta(seconds=60)]
        assert len(in_window) <= 3
    assert clock.sleeps
    assert max(clock.sleeps) <= 60
    assert busy_sends[-1] - busy_sends[0] >= dt.timedelta(minutes=6)
    # The quiet chat did not wait behind the busy one.
    assert [at for at, chat_id, _ in channel.sent if chat_id == BRANCH] == [NOW]
    assert channel.closed


def test_stopping_finishes_the_message_in_flight_and_gives_back_the_rest(demo_store: Store) -> None:
    chat = AlertStore(demo_store).add_chat("JD01", INSPECTOR, ChatRole.INSPECTOR, now=NOW)
    synthetic(demo_store, chat, 30, width=150)
    clock = FakeTime()
    channel = Recorder(clock)
    stop = asyncio.Event()
    channel.on_send.append(stop.set)
    runner = dispatcher(demo_store, channel, clock, max_chars=400)
    report = asyncio.run(runner.run_until_idle(stop))
    assert (report.messages, report.rows_sent, report.rows_released) == (1, 2, 28)
    rows = AlertStore(demo_store).outbox()
    assert [r["state"] for r in rows].count("sent") == 2
    pending = [r for r in rows if r["state"] == "pending"]
    assert len(pending) == 28
    assert all(r["claimed_by"] is None and r["attempts"] == 0 for r in pending)


def test_no_send_starts_when_the_lease_is_running_out(demo_store: Store) -> None:
    chat = AlertStore(demo_store).add_chat("JD01", INSPECTOR, ChatRole.INSPECTOR, now=NOW)
    synthetic(demo_store, chat, 12, width=150)
    clock = FakeTime()
    channel = Recorder(clock)
    runner = dispatcher(
        demo_store,
        channel,
        clock,
        max_chars=400,
        per_chat_per_minute=1,
        lease=dt.timedelta(minutes=3),
    )
    report = asyncio.run(runner.run_once())
    # One a minute, and none in the last minute of a three-minute lease.
    assert report.messages == 2
    assert report.rows_released == 8
    assert all(at < NOW + dt.timedelta(minutes=2) for at, _, _ in channel.sent)


# --- a killed dispatcher, and two at once ------------------------------------------------------


def test_a_dispatcher_killed_mid_run_loses_nothing_and_repeats_at_most_the_message_in_flight(
    linked: Store, telegram: FakeTelegram, db_url: str
) -> None:
    """kill -9 while sending, then a restart after the lease expired.

    The dead process may have been killed after Telegram accepted a message but before it
    committed the rows as sent (or with a request still in flight, which the server completes
    regardless). Those rows are still claimed; when the lease expires the restarted dispatcher
    sends them again. That message — and only that one — is delivered twice: the documented
    "at least once" edge. Every other row is delivered exactly once.
    """
    telegram.delay = 0.25
    env = {
        **os.environ,
        "ORGLIFE_TELEGRAM_TOKEN": telegram.token,
        "ORGLIFE_TELEGRAM_API_URL": telegram.base_url,
    }
    child = subprocess.Popen(
        [sys.executable, str(CHILD), db_url, "doomed", NOW.isoformat(), "700"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert telegram.wait_for(lambda t: len(t.sent) >= 1 or child.poll() is not None, 20)
        assert child.poll() is None, "the child dispatcher exited before it was killed"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
        assert child.stdout is not None
        assert child.stderr is not None
        child.stdout.close()
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL
    # Let the server finish a request the dead child left behind (it still accepts it).
    assert telegram.wait_for(
        lambda t: sum(1 for method, _ in t.requests if method == "sendMessage") == len(t.sent), 10
    )
    before = list(telegram.sent)
    assert 1 <= len(before) < 10
    claimed = [r for r in AlertStore(linked).outbox() if r["claimed_by"] == "doomed"]
    assert claimed  # the dead dispatcher's rows wait for its lease

    telegram.delay = 0
    restart = FakeTime(NOW + dt.timedelta(minutes=6))  # past the dead one's lease
    dispatch(linked, tg(telegram), restart, max_chars=700)
    after = telegram.sent[len(before) :]
    rows = AlertStore(linked).outbox()
    assert {r["state"] for r in rows} == {"sent"}
    for chat_id in (INSPECTOR, BRANCH):
        got = delivered(telegram.messages_to(chat_id))
        assert set(got) == set(expected(linked, chat_id))  # everything, at least once
    again = Counter(line for s in after for line in body(s.text)) & Counter(
        line for s in before for line in body(s.text)
    )
    twice = set(again)
    if twice:  # exactly the lines of one message sent before the kill
        assert any(twice == set(body(s.text)) for s in before), twice
    assert all(n == 1 for n in again.values())


def test_two_dispatchers_on_postgresql_never_send_the_same_row(
    pg_url: str, national: RulePack, telegram: FakeTelegram
) -> None:
    from monitor.demo import demo_files
    from monitor.registers.readers import read_orgs

    with Store.open(pg_url) as store:
        store.import_orgs(read_orgs(demo_files()["orgs"]))
        codes = [o.code for o in store.orgs()][:6]
        lines: list[str] = []
        for n, code in enumerate(codes):
            chat = AlertStore(store).add_chat(code, -5000 - n, ChatRole.INSPECTOR, now=NOW)
            lines += synthetic(store, chat, 60, width=90)
    assert len(lines) == 360
    telegram.delay = 0.002
    start = threading.Barrier(2)
    reports: dict[str, DispatchReport] = {}
    errors: list[BaseException] = []

    def work(worker: str) -> None:
        try:
            with Store.open(pg_url, migrate=False) as own:
                start.wait(10)
                reports[worker] = dispatch(
                    own, tg(telegram), worker=worker, batch=15, max_chars=600
                )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"replica-{i}",)) for i in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    counts = Counter(line for s in telegram.sent for line in body(s.text))
    assert counts == Counter(lines)  # all delivered, none twice
    assert all(r.rows_sent for r in reports.values())  # both took part
    assert sum(r.rows_sent for r in reports.values()) == 360
    with Store.open(pg_url, migrate=False) as store:
        assert {r["state"] for r in AlertStore(store).outbox()} == {"sent"}
        sent_by = Counter(d["worker"] for d in AlertStore(store).deliveries())
    assert set(sent_by) == {"replica-1", "replica-2"}


# --- channels ---------------------------------------------------------------------------------


def test_without_a_token_every_row_goes_to_the_console(linked: Store) -> None:
    assert isinstance(channel_from_env({}).for_platform(Platform.TELEGRAM), ConsoleChannel)
    assert isinstance(telegram_from_env({"ORGLIFE_TELEGRAM_TOKEN": "  "}), ConsoleChannel)
    emitted: list[tuple[int, str]] = []
    channel = channel_from_env({}, console=lambda chat_id, text: emitted.append((chat_id, text)))
    report = dispatch(linked, channel)
    assert report.rows_sent == 55
    for chat_id in (INSPECTOR, BRANCH):
        texts = [text for c, text in emitted if c == chat_id]
        assert delivered(texts) == expected(linked, chat_id)
    assert {r["message_id"] for r in AlertStore(linked).outbox()} == {None}


def test_the_console_channel_logs_each_message_by_default() -> None:
    with capture_logs() as logs:
        assert (
            asyncio.run(ConsoleChannel().send(to_chat(-7), "【组织生活到期提醒】共1项：\n• x"))
            is None
        )
    assert logs == [
        {
            "event": "console_alert",
            "log_level": "info",
            "chat_id": -7,
            "text": "【组织生活到期提醒】共1项：\n• x",
        }
    ]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_the_token_never_appears_in_errors_or_logs(
    linked: Store,
    telegram: FakeTelegram,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    env = {"ORGLIFE_TELEGRAM_TOKEN": telegram.token, "ORGLIFE_TELEGRAM_API_URL": telegram.base_url}
    channel = telegram_from_env(env)
    assert isinstance(channel, TelegramChannel)
    assert telegram.token not in repr(channel)
    wrong = TelegramChannel("123456:" + "Wrong" * 8, telegram.base_url)  # 401 from the server
    closed = TelegramChannel(telegram.token, "http://127.0.0.1:9/bot")  # nothing listens there
    caplog.set_level(logging.DEBUG)
    # As if someone turned the request log back on: the token is still redacted from it.
    logging.getLogger("httpx").setLevel(logging.DEBUG)
    logging.getLogger("httpcore").setLevel(logging.DEBUG)
    errors: list[BaseException] = []

    async def attempts() -> None:
        telegram.fail(-1, status=500)
        telegram.fail(-1, drop=True)
        telegram.fail(-1, status=403)
        telegram.fail(-1, status=400, description="Bad Request: message is too long")
        telegram.fail(-1, status=429, retry_after=5)
        for _ in range(5):
            try:
                await channel.send(to_chat(-1), "x")
            except DeliveryError as exc:
                errors.append(exc)
        for other in (wrong, closed):
            try:
                await other.send(to_chat(-1), "x")
            except DeliveryError as exc:
                errors.append(exc)
            await other.aclose()
        assert await channel.send(to_chat(-1), "ok") == telegram.sent[-1].message_id
        await channel.aclose()

    with capture_logs() as logs:
        asyncio.run(attempts())
        telegram.fail(INSPECTOR, status=500)
        telegram.fail(BRANCH, status=403)
        dispatch(linked, channel_from_env(env))
    try:
        assert [type(e) for e in errors] == [
            Transient,
            Transient,
            ChatGone,
            Rejected,
            RetryLater,
            Transient,
            Transient,
        ]
        assert isinstance(errors[4], RetryLater)
        assert errors[4].seconds == 5
        texts = ["".join(traceback.format_exception(e)) + repr(e) for e in errors]
        texts += [str(e) for e in logs]
        texts += [r.getMessage() for r in caplog.records]
        out, err = capsys.readouterr()
        texts += [out, err, caplog.text]
        requests = [r.getMessage() for r in caplog.records if r.name == "httpx"]
        assert any("/bot<token>/sendMessage" in m for m in requests), requests
        assert any(e["event"] == "delivery_failed" for e in logs)
        secret = telegram.token.split(":")[1]
        leaks = [t for t in texts if telegram.token in t or secret in t or "Wrong" * 8 in t]
        assert not leaks, leaks[0][:500]
    finally:
        logging.getLogger("httpx").setLevel(logging.WARNING)
        logging.getLogger("httpcore").setLevel(logging.WARNING)


def test_building_a_telegram_channel_quiets_the_http_request_log() -> None:
    logging.getLogger("httpx").setLevel(logging.NOTSET)
    TelegramChannel("42:" + "x" * 30, None)
    assert logging.getLogger("httpx").getEffectiveLevel() >= logging.WARNING
    assert isinstance(channel_from_env({"ORGLIFE_TELEGRAM_TOKEN": "42:" + "y" * 30}), Channel)


def test_a_summary_goes_as_a_message_and_its_workbook_as_a_document_once(
    linked: Store, telegram: FakeTelegram
) -> None:
    dispatch(linked, tg(telegram))  # the demo's digests first
    before = len(telegram.sent)
    workbook = bytes(range(256)) * 40  # binary, and larger than one TCP segment
    text = "【2026年10月组织生活检查通报】\n" + "\n".join(f"第{i}行" for i in range(50))
    chats = AlertStore(linked).chats()
    bundle = SummaryBundle(text, workbook, "通报-2026-10.xlsx", b"PK", "通报-2026-10.docx")
    notices = plan_summaries(chats, "2026-10", lambda chat: bundle)
    assert AlertStore(linked).record(AlertPlan(notices=notices), now=NOW)[NoticeKind.REPORT] == 1
    dispatch(linked, tg(telegram))
    sent = telegram.sent[before:]
    assert [(s.method, s.chat_id) for s in sent] == [
        ("sendMessage", INSPECTOR),
        ("sendDocument", INSPECTOR),
    ]
    assert sent[0].text == text
    assert sent[1].params["document"] == "通报-2026-10.xlsx"
    assert sent[1].params["document_bytes"] == workbook
    assert sent[1].text == "2026年10月组织生活检查通报（明细、问题台账、后补记录）"
    # Enqueued again (the next morning's run): nothing new, nothing sent.
    assert sum(AlertStore(linked).record(AlertPlan(notices=notices), now=NOW).values()) == 0
    dispatch(linked, tg(telegram))
    assert len(telegram.sent) == before + 2


def test_overdue_items_go_to_the_inspectors_as_one_digest(
    linked: Store, telegram: FakeTelegram
) -> None:
    dispatch(linked, tg(telegram))
    before = len(telegram.sent)
    chats = AlertStore(linked).chats()
    lines = [
        f"JD01-0{i} 某党支部 · 党小组会 2026年9月 未按期开展：整改期限11月5日已过" for i in (1, 2)
    ]
    notices = [
        Notice(f"overdue:{i}:0", c.id, NoticeKind.OVERDUE, None, line)
        for i, line in enumerate(lines)
        for c in chats
        if c.role is ChatRole.INSPECTOR
    ]
    AlertStore(linked).record(AlertPlan(notices=notices), now=NOW)
    dispatch(linked, tg(telegram))
    (message,) = telegram.sent[before:]
    assert message.chat_id == INSPECTOR
    assert message.text.splitlines()[0] == "【问题台账逾期提醒】以下2项整改已逾期："
    assert body(message.text) == lines
