"""The Telegram bot: commands answered over the real python-telegram-bot against a fake Bot API.

The bot runs in a background thread's event loop, long polling the fake; each test pushes
messages into the fake and waits for the replies. Most tests use a SQLite copy of the demo
district; one runs the whole record flow on both backends.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import shutil
import tempfile
import threading
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import structlog

from monitor.alerts.bot import (
    COMMANDS,
    HELP,
    BotApplication,
    ChatCommands,
    Where,
    build_application,
    split_message,
)
from monitor.alerts.bot.record import RecordLine, parse_record, refusal
from monitor.alerts.plan import ChatRole
from monitor.alerts.store import AlertStore
from monitor.calendar.store import FeedStore
from monitor.check import run_check
from monitor.core.domain import Finding, Status
from monitor.core.errors import RegisterError, RegisterErrorCode
from monitor.core.periods import Cadence
from monitor.core.rules import RulePack
from monitor.core.schedule import SHANGHAI
from monitor.core.workdays import WorkCalendar
from monitor.holidays import work_calendar
from monitor.store import Store
from tests.fake_telegram import FakeTelegram

NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)
TODAY = NOW.date()
BRANCH = "JD01-01"  # 幸福社区党支部
BRANCH_NAME = "幸福社区党支部"
SECRETARY = "M0001"  # 邹秀英, 书记 of JD01-01
DEPUTY = "M0002"  # 吕春生, 副书记
ORDINARY = "M0006"  # 邱勇, 党员
GROUP = -100_111  # a group chat
INSPECTORS = -100_999
PUBLIC = "https://orglife.example.gov.cn"
DEMO_MEMBERS = Path(__file__).parent.parent / "monitor" / "demo" / "members.csv"


def _names(org: str) -> list[str]:
    rows = [line.split(",") for line in DEMO_MEMBERS.read_text(encoding="utf-8").splitlines()[1:]]
    return [r[1] for r in rows if r[2] == org]


# --- fixtures -------------------------------------------------------------------------------


def _load_demo(store: Store, pack: RulePack) -> None:
    """The demo registers, loaded the way conftest's ``demo_store`` loads them."""
    from monitor.demo import SNAPSHOT_DAY, demo_files
    from monitor.registers.readers import read_meetings, read_members, read_orgs

    files = demo_files()
    store.import_orgs(read_orgs(files["orgs"]))
    store.import_members(read_members(files["members"]))
    store.import_meetings(
        read_meetings(files["meetings"], today=SNAPSHOT_DAY, historical=True), pack.catalog
    )


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory, national: RulePack) -> Path:
    """The demo district in a SQLite file, built once and copied for each test."""
    path = tmp_path_factory.mktemp("bot") / "demo.db"
    with Store.open(f"sqlite:///{path}") as store:
        _load_demo(store, national)
    return path


@pytest.fixture
def sqlite_store(demo_db: Path, tmp_path: Path) -> Iterator[Store]:
    path = tmp_path / "orglife.db"
    shutil.copy(demo_db, path)
    with Store.open(f"sqlite:///{path}") as store:
        yield store


@pytest.fixture(scope="module")
def workdays() -> WorkCalendar:
    return work_calendar(warn=lambda year, hint: None)


class RunningBot:
    """The Application polling the fake from a background thread's event loop."""

    def __init__(self, app: BotApplication) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="bot", daemon=True)

    def _run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(20)

    async def _start(self) -> None:
        await self.app.initialize()
        await self.app.start()
        assert self.app.updater is not None
        await self.app.updater.start_polling(poll_interval=0.05, timeout=0)

    async def _stop(self) -> None:
        assert self.app.updater is not None
        if self.app.updater.running:
            await self.app.updater.stop()
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()

    def __enter__(self) -> RunningBot:
        self.thread.start()
        self._run(self._start())
        return self

    def __exit__(self, *_: object) -> None:
        try:
            self._run(self._stop())
            self._run(self.loop.shutdown_default_executor())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop.close()


@dataclass
class Chat:
    """One conversation with the running bot."""

    tg: FakeTelegram
    store: Store

    def ask(self, chat_id: int, text: str, *, user: int = 1) -> str:
        """Send ``text`` as ``user`` in ``chat_id``; the bot's whole reply (all its parts).

        Updates are handled one at a time, so a /help sent right after marks the end of the
        reply: everything before the help text answers ``text``.
        """
        before = len(self.tg.messages_to(chat_id))
        self.tg.push_message(chat_id=chat_id, user_id=user, text=text)
        self.tg.push_message(chat_id=chat_id, user_id=user, text="/help")
        # The predicate runs under the fake's lock: it reads ``sent`` itself.
        assert self.tg.wait_for(
            lambda t: HELP in [s.text for s in t.sent if s.chat_id == chat_id][before:], 10
        ), f"no reply to {text!r} in {chat_id}"
        replies = self.tg.messages_to(chat_id)[before:]
        end = len(replies) - 1 - replies[::-1].index(HELP)
        return "\n".join(replies[:end])

    def link_member(self, member: str, user: int) -> str:
        code = AlertStore(self.store).issue_code(now=NOW, member=member)
        return self.ask(user, f"/link {code}", user=user)

    def link_chat(self, org: str, chat_id: int, role: ChatRole) -> None:
        AlertStore(self.store).add_chat(org, chat_id, role, now=NOW)


def _bot(store: Store, national: RulePack, workdays: WorkCalendar, tg: FakeTelegram) -> Any:
    return build_application(
        store,
        national,
        workdays,
        token=tg.token,
        base_url=tg.base_url,
        clock=lambda: NOW,
        public_url=PUBLIC,
    )


@pytest.fixture
def chat(sqlite_store: Store, national: RulePack, workdays: WorkCalendar) -> Iterator[Chat]:
    with FakeTelegram() as tg, RunningBot(_bot(sqlite_store, national, workdays, tg)):
        yield Chat(tg, sqlite_store)


def _records(store: Store, org: str = BRANCH) -> list[Any]:
    return store.records([org], dt.date(2026, 1, 1), TODAY)


# --- /start, the menu, /help ----------------------------------------------------------------


@pytest.fixture
def printed_logs() -> Iterator[None]:
    """structlog printing every level, as ``orglife serve -v`` does.

    The CLI configures structlog globally; this fixture sets and resets it so the test does
    not depend on which command ran before it. The default logger factory looks up
    ``sys.stdout`` when each line is logged, so ``capfd`` sees the lines.
    """
    structlog.reset_defaults()  # configure() keeps what it is not given, e.g. a CLI's stream
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG),
        processors=[
            structlog.processors.add_log_level,
            structlog.dev.ConsoleRenderer(colors=False),
        ],
    )
    yield
    structlog.reset_defaults()


def test_start_shows_the_chat_id_and_the_menu_is_set(
    printed_logs: None,
    chat: Chat,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    assert chat.tg.commands == [
        {"command": c.command, "description": c.description} for c in COMMANDS
    ]
    assert [c["command"] for c in chat.tg.commands] == [
        "start",
        "link",
        "status",
        "record",
        "feed",
        "summary",
        "help",
    ]

    group = chat.ask(GROUP, "/start")
    assert f"群聊ID：{GROUP}" in group
    assert "orglife chats code 组织编码 --role branch" in group
    assert "/link 绑定码" in group

    private = chat.ask(4242, "/start", user=4242)
    assert "4242" in private
    assert "orglife members link 党员编号" in private

    # Unknown commands get a pointer to /help; plain text and other bots' commands nothing.
    assert "/help" in chat.ask(GROUP, "/frobnicate")
    assert chat.ask(GROUP, "今天开会吗") == ""
    assert chat.ask(GROUP, "/status@some_other_bot") == ""

    # The token is in every API URL; no log line may carry it.
    assert caplog.records
    assert chat.tg.token not in caplog.text
    printed = "".join(capfd.readouterr())
    assert "bot_command" in printed
    assert chat.tg.token not in printed


def test_split_message_keeps_parts_under_the_limit() -> None:
    text = "\n".join(f"第{i}行：" + "党" * 30 for i in range(400))
    parts = split_message(text, 1000)
    assert all(len(p) <= 1000 for p in parts)
    assert "\n".join(parts) == text
    assert split_message("短") == ["短"]


# --- /link ----------------------------------------------------------------------------------


def test_link_a_group_with_a_chat_code(chat: Chat) -> None:
    code = AlertStore(chat.store).issue_code(now=NOW, org=BRANCH, role=ChatRole.BRANCH)
    reply = chat.ask(GROUP, f"/link {code.lower()}")
    assert BRANCH_NAME in reply
    assert "支部群" in reply
    linked = AlertStore(chat.store).chats(chat_id=GROUP)
    assert [(c.org, c.role) for c in linked] == [(BRANCH, ChatRole.BRANCH)]

    assert "已使用过" in chat.ask(GROUP, f"/link {code}")
    old = AlertStore(chat.store).issue_code(
        now=NOW - dt.timedelta(minutes=11), org=BRANCH, role=ChatRole.INSPECTOR
    )
    assert "已过期" in chat.ask(-100_222, f"/link {old}")
    assert "未找到该绑定码" in chat.ask(-100_222, "/link ZZZZ2345")
    assert "/link ABCD2345" in chat.ask(-100_222, "/link")
    assert AlertStore(chat.store).chats(chat_id=-100_222) == []

    # A chat code sent privately, and a member code sent in a group, are refused unused.
    fresh = AlertStore(chat.store).issue_code(now=NOW, org=BRANCH, role=ChatRole.INSPECTOR)
    assert "群聊中发送" in chat.ask(77, f"/link {fresh}", user=77)
    member_code = AlertStore(chat.store).issue_code(now=NOW, member=SECRETARY)
    assert "私聊中发送" in chat.ask(-100_222, f"/link {member_code}")
    assert "邹秀英" in chat.ask(77, f"/link {member_code}", user=77)


def test_link_a_member_in_a_private_chat(chat: Chat) -> None:
    reply = chat.link_member(SECRETARY, 501)
    assert "邹秀英" in reply
    assert BRANCH_NAME in reply
    assert "/record" in reply  # a secretary is told they may record
    assert AlertStore(chat.store).member_of(501) == SECRETARY
    assert "邹秀英" in chat.ask(501, "/start", user=501)


# --- /status --------------------------------------------------------------------------------


def test_status_in_a_branch_chat_lists_this_periods_statuses_without_names(
    chat: Chat, national: RulePack
) -> None:
    assert "尚未绑定" in chat.ask(GROUP, "/status")
    chat.link_chat(BRANCH, GROUP, ChatRole.BRANCH)
    reply = chat.ask(GROUP, "/status")
    assert f"{BRANCH_NAME}（{BRANCH}）" in reply
    assert "✓ 主题党日 2026年11月 已落实" in reply
    assert "✓ 支部委员会会议 2026年11月 已落实" in reply
    assert "○ 支部党员大会 2026年第四季度 进行中（12月31日到期）" in reply
    assert "○ 组织生活会 2026年 进行中" in reply
    assert "（JD01-01-G1）" in reply  # its party groups too
    assert "主题党日 2026年10月" not in reply  # earlier periods only when missed …
    assert "✗ 党小组会 2026年10月 未按期开展" in reply  # … like this group's
    assert not [name for name in _names(BRANCH) if name in reply]

    # A branch with leading cadres: their lines, but no names, in its branch chat …
    chat.link_chat("JD01-05", -100_505, ChatRole.BRANCH)
    branch = chat.ask(-100_505, "/status")
    assert "✗ 双重组织生活（M0098 领导干部）2026年第三季度 未按期参加" in branch
    assert "✗ 党小组会 2026年9月 未按期开展" in branch  # a final miss of the last 3 months
    assert "2026年7月" not in branch  # older misses are not repeated
    assert not [name for name in _names("JD01-05") if name in branch]
    # … and with names in an inspector chat.
    chat.link_chat("JD01-05", INSPECTORS, ChatRole.INSPECTOR)
    assert "（M0098 赵海涛）" in chat.ask(INSPECTORS, "/status")

    # In a private chat: the linked member's branch.
    assert "尚未绑定党员身份" in chat.ask(601, "/status", user=601)
    chat.link_member(ORDINARY, 601)
    private = chat.ask(601, "/status", user=601)
    assert "✓ 主题党日 2026年11月 已落实" in private
    assert f"（{BRANCH}）" in private


# --- /record --------------------------------------------------------------------------------

RECORD = "/record 支部党员大会 2026-11-18 应到38 实到30 学习贯彻全会精神"


def test_record_by_the_secretary_on_both_backends(
    demo_store: Store, national: RulePack, workdays: WorkCalendar
) -> None:
    with FakeTelegram() as tg, RunningBot(_bot(demo_store, national, workdays, tg)):
        chat = Chat(tg, demo_store)
        chat.link_chat(BRANCH, GROUP, ChatRole.BRANCH)
        chat.link_member(SECRETARY, 501)
        before = run_check(demo_store, national, as_of=TODAY, org=BRANCH)
        meeting = next(
            f for f in before.findings if f.rule == "branch_general_meeting" and f.period.index == 4
        )
        assert meeting.status is Status.OPEN

        reply = chat.ask(GROUP, RECORD, user=501)
        assert "已登记" in reply
        assert "2026年11月18日" in reply
        assert "应到38人，实到30人" in reply
        assert "✓ 支部党员大会 2026年第四季度 已落实" in reply
        stored = [r for r in _records(demo_store) if r.date == dt.date(2026, 11, 18)]
        assert len(stored) == 1
        record = stored[0]
        assert record.kinds == frozenset({"general_meeting"})
        assert (record.expected, record.attended) == (38, 30)
        assert record.topic == "学习贯彻全会精神"
        assert record.recorded == TODAY

        after = run_check(demo_store, national, as_of=TODAY, org=BRANCH)
        counted = next(
            f for f in after.findings if f.rule == "branch_general_meeting" and f.period.index == 4
        )
        assert counted.status is Status.HELD
        assert counted.evidence.counted == 1
        assert "✓ 支部党员大会 2026年第四季度 已落实" in chat.ask(GROUP, "/status")

        # Sending the same line again updates the record instead of adding one.
        assert "已按本次内容更新" in chat.ask(GROUP, RECORD, user=501)
        assert len([r for r in _records(demo_store) if r.date == dt.date(2026, 11, 18)]) == 1


def test_record_is_refused_to_anyone_but_the_branch_secretaries(chat: Chat) -> None:
    chat.link_chat(BRANCH, GROUP, ChatRole.BRANCH)
    before = len(_records(chat.store))

    unlinked = chat.ask(GROUP, RECORD, user=700)
    assert "书记或副书记" in unlinked
    assert "orglife members link" in unlinked

    chat.link_member(ORDINARY, 701)
    ordinary = chat.ask(GROUP, RECORD, user=701)
    assert "书记或副书记" in ordinary
    assert "已登记" not in ordinary
    assert "暂无登记权限" in chat.ask(701, RECORD, user=701)

    # The secretary of another branch may not record in this branch's chat.
    chat.link_member("M0061", 702)  # 副书记 of JD01-03
    assert "书记或副书记" in chat.ask(GROUP, RECORD, user=702)

    # An inspector chat is not for recording.
    chat.link_member(SECRETARY, 703)
    chat.link_chat("JD01", INSPECTORS, ChatRole.INSPECTOR)
    assert "督查群" in chat.ask(INSPECTORS, RECORD, user=703)
    assert "尚未绑定" in chat.ask(-100_333, RECORD, user=703)
    assert len(_records(chat.store)) == before

    # The deputy secretary may record in a private chat.
    chat.link_member(DEPUTY, 704)
    assert "已登记" in chat.ask(704, "/record 党课 2026/11/19 讲课人M0001 学习党章", user=704)
    assert len(_records(chat.store)) == before + 1


def test_record_errors_are_polite_and_store_nothing(chat: Chat) -> None:
    chat.link_chat(BRANCH, GROUP, ChatRole.BRANCH)
    chat.link_member(SECRETARY, 501)
    before = len(_records(chat.store))

    usage = chat.ask(GROUP, "/record", user=501)
    assert "/record 主题党日 2026-11-06 应到12 实到11 环境整治" in usage
    assert "主题党日+党课" in usage

    kind = chat.ask(GROUP, "/record 主题党会 2026-11-06 环境整治", user=501)
    assert "会议类型“主题党会”无法识别" in kind
    assert "没有保存" in kind
    combined = chat.ask(GROUP, "/record 主题党日+党歌 2026-11-06", user=501)
    assert "“党歌”" in combined

    number = chat.ask(GROUP, "/record 主题党日 2026-11-06 应到十二 实到11 环境整治", user=501)
    assert "应到人数“十二”不是有效的人数" in number
    more = chat.ask(GROUP, "/record 主题党日 2026-11-06 应到10 实到11 环境整治", user=501)
    assert "实到人数（11人）多于应到人数（10人）" in more
    day = chat.ask(GROUP, "/record 主题党日 2026-02-30 环境整治", user=501)
    assert "日期“2026-02-30”不存在" in day
    assert "日期“十一月六日”无法识别" in chat.ask(GROUP, "/record 主题党日 十一月六日", user=501)
    assert "请写明会议日期" in chat.ask(GROUP, "/record 主题党日", user=501)
    future = chat.ask(GROUP, "/record 主题党日 2026-11-21 环境整治", user=501)
    assert "晚于今天" in future

    assert len(_records(chat.store)) == before

    # Combined kinds and the other date forms are accepted.
    ok = chat.ask(GROUP, "/record 主题党日 + 党课 2026年11月6日 应到12 环境整治", user=501)
    assert "已登记：幸福社区党支部 党课+主题党日 2026年11月6日（应到12人）" in ok
    assert len(_records(chat.store)) == before + 1
    stored = [r for r in _records(chat.store) if r.date == dt.date(2026, 11, 6)]
    assert [r.kinds for r in stored] == [frozenset({"themed_party_day", "party_lesson"})]


# --- /feed ----------------------------------------------------------------------------------

_URL = re.compile(r"https://orglife\.example\.gov\.cn/feeds/([A-Za-z0-9_-]+)\.ics")


def test_feed_links_only_in_a_private_chat(chat: Chat) -> None:
    chat.link_chat(BRANCH, GROUP, ChatRole.BRANCH)
    group = chat.ask(GROUP, "/feed")
    assert "私聊" in group
    assert "/feeds/" not in group
    assert "尚未绑定党员身份" in chat.ask(801, "/feed", user=801)

    chat.link_member(ORDINARY, 801)
    reply = chat.ask(801, "/feed", user=801)
    tokens = _URL.findall(reply)
    assert len(tokens) == 1
    assert FeedStore(chat.store).subject_for(tokens[0]) == BRANCH
    assert f"webcal://orglife.example.gov.cn/feeds/{tokens[0]}.ics" in reply

    # A leading cadre gets their branch's feed and their own.
    chat.link_member("M0097", 802)
    cadre = _URL.findall(chat.ask(802, "/feed", user=802))
    assert [FeedStore(chat.store).subject_for(t) for t in cadre] == ["JD01-05", "M0097"]


# --- /summary -------------------------------------------------------------------------------


def _ended_in(
    store: Store, national: RulePack, org: str, as_of: dt.date, month: tuple[int, int]
) -> tuple[int, list[Finding]]:
    """Held findings and misses of the periods ending in ``month``, judged independently."""
    check = run_check(store, national, as_of=as_of, since=dt.date(month[0], 1, 1), org=org)
    ended = [f for f in check.findings if (f.period.end.year, f.period.end.month) == month]
    held = sum(f.status is Status.HELD for f in ended)
    return held, [f for f in ended if f.status is Status.MISSED]


def _october(store: Store, national: RulePack, org: str) -> tuple[int, list[Finding]]:
    return _ended_in(store, national, org, TODAY, (2026, 10))


def test_summary_in_an_inspector_chat(chat: Chat, national: RulePack) -> None:
    chat.link_chat("JD01", INSPECTORS, ChatRole.INSPECTOR)
    reply = chat.ask(INSPECTORS, "/summary")

    held, missed = _october(chat.store, national, "JD01")
    required = held + len(missed)
    assert len(missed) == 3  # the demo district missed some in October
    assert reply.startswith("幸福街道党工委2026年10月组织生活检查通报")
    assert f"应开展{required}项，已落实{held}项，未按期开展{len(missed)}项" in reply
    assert f"落实率{held / required:.1%}" in reply
    for f in missed:
        assert f"✗ {f.subject} {national.rule(f.rule).name} {f.period.label_zh}" in reply
    assert "2026年9月" not in reply  # only periods that ended in October

    # A branch chat gets its own subtree's summary.
    chat.link_chat(BRANCH, GROUP, ChatRole.BRANCH)
    branch = chat.ask(GROUP, "/summary")
    held, missed = _october(chat.store, national, BRANCH)
    assert branch.startswith(f"{BRANCH_NAME}2026年10月组织生活检查通报")
    assert f"应开展{held + len(missed)}项，已落实{held}项，未按期开展{len(missed)}项" in branch
    assert "落实率80.0%" in branch
    assert "✗ JD01-01-G3 党小组会 2026年10月" in branch


def test_status_and_summary_during_the_grace_period(
    sqlite_store: Store, national: RulePack, workdays: WorkCalendar
) -> None:
    """Early in a month last month's open items may still be recorded late (补录)."""
    early = dt.datetime(2026, 11, 3, 9, 0, tzinfo=SHANGHAI)
    commands = ChatCommands(sqlite_store, national, workdays, clock=lambda: early)
    AlertStore(sqlite_store).add_chat("JD01-06-01", GROUP, ChatRole.BRANCH, now=early)
    where = Where(GROUP, private=False, user_id=1)
    status = commands.status(where)
    assert "截至2026年11月3日" in status
    summary = commands.summary(where)
    assert "2026年10月组织生活检查通报" in summary
    check = run_check(sqlite_store, national, as_of=early.date(), org="JD01-06-01")
    late = [f for f in check.findings if f.status is Status.OPEN and f.period.end < early.date()]
    assert len(late) == 2  # October's committee meeting and a party group's meeting
    for f in late:
        assert (
            f"○ {national.rule(f.rule).name} {f.period.label_zh} 待补录（宽限至11月5日）" in status
        )
    assert f"进行中{len(late)}项（不计入应开展）" in summary


@pytest.mark.parametrize(
    ("today", "month", "cadences"),
    [
        (dt.date(2026, 10, 10), (2026, 9), {Cadence.MONTH, Cadence.QUARTER}),
        (dt.date(2027, 1, 10), (2026, 12), {Cadence.MONTH, Cadence.QUARTER, Cadence.YEAR}),
    ],
)
def test_summary_counts_every_cadence_ending_in_the_month(
    sqlite_store: Store,
    national: RulePack,
    workdays: WorkCalendar,
    today: dt.date,
    month: tuple[int, int],
    cadences: set[Cadence],
) -> None:
    clock = dt.datetime.combine(today, dt.time(10), tzinfo=SHANGHAI)
    commands = ChatCommands(sqlite_store, national, workdays, clock=lambda: clock)
    AlertStore(sqlite_store).add_chat("JD01", INSPECTORS, ChatRole.INSPECTOR, now=clock)
    summary = commands.summary(Where(INSPECTORS, private=False, user_id=1))
    check = run_check(sqlite_store, national, as_of=today, since=dt.date(month[0], 1, 1))
    ended = {
        f.period.cadence for f in check.findings if (f.period.end.year, f.period.end.month) == month
    }
    assert ended == cadences
    held, missed = _ended_in(sqlite_store, national, "JD01", today, month)
    assert f"{month[0]}年{month[1]}月组织生活检查通报" in summary
    assert f"应开展{held + len(missed)}项，已落实{held}项，未按期开展{len(missed)}项" in summary
    for f in missed[:100]:
        assert f"✗ {f.subject} {national.rule(f.rule).name} {f.period.label_zh}" in summary


# --- the command logic without python-telegram-bot -----------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ("主题党日 2026-11-06", RecordLine("主题党日", "2026-11-06")),
        ("2026-11-06 主题党日 环境整治", RecordLine("主题党日", "2026-11-06", topic="环境整治")),
        (
            "主题党日 + 党课 2026年11月6日 应到 12 实到人数：11 环境 整治",
            RecordLine("主题党日+党课", "2026年11月6日", "12", "11", topic="环境 整治"),
        ),
        (
            "党课 2026/11/19 讲课人M0001 学习党章",
            RecordLine("党课", "2026/11/19", "", "", "M0001", "学习党章"),
        ),
        ("主题党日", None),
    ],
)
def test_a_record_line_is_read_into_cells(args: str, expected: RecordLine | None) -> None:
    assert parse_record(args) == expected


def test_a_record_line_is_a_meetings_register_row() -> None:
    row = RecordLine("党课", "2026-11-06", "12", "", "M0001", "学习党章").row(BRANCH, TODAY)
    assert row == {
        "组织编码": BRANCH,
        "会议类型": "党课",
        "日期": "2026-11-06",
        "应到人数": "12",
        "实到人数": "",
        "主题": "学习党章",
        "录入日期": "2026-11-20",
        "授课人": "M0001",
    }


def _error(code: RegisterErrorCode, column: str | None, value: object) -> RegisterError:
    return RegisterError(
        "Telegram /record", "reason", code=code, line=2, column=column, value=value
    )


@pytest.mark.parametrize(
    ("error", "reply"),
    [
        (_error(RegisterErrorCode.UNKNOWN_KIND, "会议类型", "党歌"), "会议类型“党歌”无法识别"),
        (_error(RegisterErrorCode.MISSING_VALUE, "日期", ""), "请写明会议日期"),
        (_error(RegisterErrorCode.NO_SUCH_DAY, "日期", "2026-02-30"), "日期“2026-02-30”不存在"),
        (_error(RegisterErrorCode.BAD_DATE, "日期", "六日"), "日期“六日”无法识别"),
        (
            _error(
                RegisterErrorCode.ATTENDED_OVER_EXPECTED, "实到人数", "attended 11, expected 10"
            ),
            "实到人数（11人）多于应到人数（10人）",
        ),
        (_error(RegisterErrorCode.NEGATIVE_COUNT, "应到人数", "-3"), "应到人数“-3”不能是负数"),
        (_error(RegisterErrorCode.BAD_COUNT, "实到人数", "十"), "例如“实到12”"),
        (_error(RegisterErrorCode.UNKNOWN_ORG, "组织编码", "X1"), "组织编码“X1”不在登记册中"),
        (
            _error(RegisterErrorCode.UNKNOWN_ATTENDEE, "参会人员", "张三"),
            "“参会人员”一栏的“张三”有误",
        ),
        (_error(RegisterErrorCode.NOT_TEXT, None, None), "这条记录无法读取"),
    ],
)
def test_a_refused_record_is_explained_by_the_errors_code(
    error: RegisterError, reply: str, national: RulePack
) -> None:
    assert reply in refusal(error, national.catalog)


def test_record_as_a_plain_function_writes_no_file(
    sqlite_store: Store,
    national: RulePack,
    workdays: WorkCalendar,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_files(*args: object, **kwargs: object) -> None:
        raise AssertionError("/record must not write a file")

    monkeypatch.setattr(tempfile, "TemporaryDirectory", no_files)
    monkeypatch.setattr(tempfile, "mkstemp", no_files)
    commands = ChatCommands(sqlite_store, national, workdays, clock=lambda: NOW)
    code = AlertStore(sqlite_store).issue_code(now=NOW, member=SECRETARY)
    AlertStore(sqlite_store).redeem(code, now=NOW, user_id=501)
    where = Where(501, private=True, user_id=501)
    reply = commands.record(where, "主题党日 2026-11-06 应到12 实到11 环境整治")
    assert reply.startswith("已登记：幸福社区党支部 主题党日 2026年11月6日（应到12人，实到11人）")
    refused = commands.record(where, "主题党日 2026-11-06 应到10 实到11")
    assert "实到人数（11人）多于应到人数（10人）" in refused
