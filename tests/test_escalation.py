"""Escalation until fixed (三色预警): the colours (pure), the rule pack's `escalation:`, the
planner (weekly repeats on workdays, red one level further up, stable keys) and the whole way
through a store, the outbox and the dispatcher: a miss, its repeat, red upwards, and the end of
it all once the item is cleared."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from monitor.alerts.dispatch import Dispatcher
from monitor.alerts.escalation import plan_escalation, run_zh, times_zh
from monitor.alerts.plan import Chat, ChatRole, NoticeKind
from monitor.alerts.store import AlertStore
from monitor.cli import main
from monitor.core.domain import Member, Org, OrgType
from monitor.core.errors import RulePackError
from monitor.core.periods import Cadence
from monitor.core.rules import Escalation, RulePack, load_pack
from monitor.core.workdays import WorkCalendar
from monitor.holidays import work_calendar
from monitor.ledger.model import LedgerItem, LedgerSource, LedgerStatus
from monitor.ledger.store import LedgerStore
from monitor.ledger.warning import Colour, warnings
from monitor.registers.readers import read_meetings, read_orgs
from monitor.service.runner import run_cycle
from monitor.store import Store

DEFAULTS = Escalation()
TODAY = dt.date(2026, 11, 20)


@pytest.fixture(scope="module")
def workdays() -> WorkCalendar:
    return work_calendar(warn=lambda year, hint: None)


def item(
    id: int = 1,
    *,
    org: str = "B",
    member: str | None = None,
    rule: str | None = "branch_general_meeting",
    period: str | None = "2026-Q3",
    source: LedgerSource = LedgerSource.FINDING,
    opened: dt.date = dt.date(2026, 10, 12),
    deadline: dt.date = dt.date(2026, 11, 30),
    status: LedgerStatus = LedgerStatus.OPEN,
    cleared: dt.date | None = None,
    reopened: int = 0,
    issue: str = "支部党员大会 2026年第三季度 未按期开展",
) -> LedgerItem:
    return LedgerItem(
        id=id,
        org=org,
        member=member,
        rule=rule,
        period=period,
        source=source,
        issue=issue,
        opened=opened,
        deadline=deadline,
        status=status,
        cleared=cleared,
        reopened=reopened,
    )


def colours(items: Sequence[LedgerItem], escalation: Escalation = DEFAULTS, today=TODAY):
    return {
        i: (w.colour.value, w.streak)
        for i, w in warnings(items, today=today, escalation=escalation).items()
    }


# --- the colours (pure) ----------------------------------------------------------------------


def test_an_outstanding_item_is_yellow_and_a_cleared_one_has_no_colour():
    found = colours(
        [
            item(1),
            item(2, rule="party_lesson", status=LedgerStatus.RECTIFYING),
            item(
                3,
                rule="org_life_meeting",
                period="2025",
                status=LedgerStatus.CLEARED,
                cleared=dt.date(2026, 11, 1),
            ),
            item(4, opened=dt.date(2026, 11, 21)),  # not opened yet on TODAY
        ]
    )
    assert found == {1: ("yellow", 1), 2: ("yellow", 1)}
    # Judged as at an earlier day, an item cleared since was still outstanding.
    earlier = colours(
        [item(3, status=LedgerStatus.CLEARED, cleared=dt.date(2026, 11, 1))],
        today=dt.date(2026, 10, 20),
    )
    assert earlier == {3: ("yellow", 1)}


def test_the_same_rule_missed_two_periods_in_a_row_turns_the_later_item_red():
    q2 = item(1, period="2026-Q2", status=LedgerStatus.CLEARED, cleared=dt.date(2026, 8, 1))
    q3 = item(2)
    other_rule = item(3, rule="party_lesson")
    other_org = item(4, org="B2", period="2026-Q2")
    found = warnings([q2, q3, other_rule, other_org], today=TODAY, escalation=DEFAULTS)
    assert found[2].colour is Colour.RED
    assert (found[2].consecutive, found[2].overdue, found[2].streak) == (True, False, 2)
    assert found[2].label == "红色"
    assert found[3].colour is Colour.YELLOW  # another rule does not chain
    assert found[4].colour is Colour.YELLOW  # another subject does not chain
    assert 1 not in found  # cleared: no colour
    # A gap breaks the run; a cadre's items chain on the member, not on the branch.
    assert colours([item(1, period="2026-Q1"), item(2)])[2] == ("yellow", 1)
    cadre = [
        item(1, member="L1", period="2026-Q2"),
        item(2, member="L1"),
        item(3, period="2026-Q2"),
    ]
    assert colours(cadre) == {1: ("yellow", 1), 2: ("red", 2), 3: ("yellow", 1)}
    # Three months in a row: the second and the third are red.
    months = [item(i, rule="themed_party_day", period=f"2026-0{i + 6}") for i in (1, 2, 3)]
    assert colours(months) == {1: ("yellow", 1), 2: ("red", 2), 3: ("red", 3)}
    # An inspector's item is not a miss of a period: it neither chains nor is chained.
    found_on_site = item(5, source=LedgerSource.INSPECTION, period="2026-Q2")
    assert colours([found_on_site, item(2)]) == {5: ("yellow", 0), 2: ("yellow", 1)}


def test_an_overdue_item_is_red():
    assert colours([item(1, status=LedgerStatus.OVERDUE)]) == {1: ("red", 1)}
    # Open past its deadline counts as overdue before the sweep has moved it; being rectified
    # does not.
    late = dt.date(2026, 11, 19)
    assert colours([item(1, deadline=late)]) == {1: ("red", 1)}
    assert colours([item(1, deadline=late, status=LedgerStatus.RECTIFYING)]) == {1: ("yellow", 1)}
    found = warnings([item(1, status=LedgerStatus.OVERDUE)], today=TODAY, escalation=DEFAULTS)
    assert (found[1].overdue, found[1].consecutive) == (True, False)


def test_the_pack_can_switch_each_rule_off():
    chain = [item(1, period="2026-Q2"), item(2, status=LedgerStatus.OVERDUE)]
    assert colours(chain, Escalation(red_when_overdue=False)) == {1: ("yellow", 1), 2: ("red", 2)}
    assert colours(chain, Escalation(red_after_consecutive=0)) == {1: ("yellow", 1), 2: ("red", 2)}
    both_off = Escalation(red_after_consecutive=0, red_when_overdue=False)
    assert colours(chain, both_off) == {1: ("yellow", 1), 2: ("yellow", 2)}
    three = Escalation(red_after_consecutive=3, red_when_overdue=False)
    assert colours(chain, three) == {1: ("yellow", 1), 2: ("yellow", 2)}
    assert colours(chain, Escalation(enabled=False)) == {}


# --- the rule pack ---------------------------------------------------------------------------


def overlay(tmp_path: Path, body: str, name: str = "local.yaml") -> Path:
    path = tmp_path / name
    path.write_text("pack: local\ntitle: 本地规则\n" + body, encoding="utf-8")
    return path


def test_the_national_pack_sets_the_common_local_defaults(national: RulePack):
    assert national.escalation == Escalation(
        enabled=True,
        repeat_every_days=7,
        quiet_days=True,
        red_after_consecutive=2,
        red_when_overdue=True,
        interview_after=2,
    )
    text = (Path(__file__).parents[1] / "rules" / "national.yaml").read_text(encoding="utf-8")
    assert "荣县" in text  # documented as local practice, not a national regulation


def test_an_overlay_changes_single_fields_and_later_overlays_win(tmp_path: Path):
    first = overlay(tmp_path, "escalation:\n  repeat_every_days: 14\n", "a.yaml")
    pack = load_pack([first])
    assert pack.escalation.repeat_every_days == 14
    assert pack.escalation.red_after_consecutive == 2  # kept from the baseline
    second = overlay(tmp_path, "escalation: {quiet_days: false, repeat_every_days: 0}\n", "b.yaml")
    both = load_pack([first, second]).escalation
    assert (both.repeat_every_days, both.quiet_days, both.interview_after) == (0, False, 2)
    assert (
        load_pack([overlay(tmp_path, "escalation: {enabled: false}\n")]).escalation.enabled is False
    )


@pytest.mark.parametrize(
    ("body", "field", "line", "words"),
    [
        ("escalation:\n  repeat_every_days: -1\n", "escalation.repeat_every_days", 4, "应不小于0"),
        (
            "escalation:\n  quiet_days: true\n  red_after_consecutive: 1\n",
            "escalation.red_after_consecutive",
            5,
            "0（不按连续期次升级）或不小于2",
        ),
        ("escalation:\n  repeat_every: 7\n", "escalation.repeat_every", 4, "repeat_every_days"),
        (
            "escalation:\n  red_when_overdue: maybe\n",
            "escalation.red_when_overdue",
            4,
            "应为 true 或 false",
        ),
        ("escalation:\n  interview_after: two\n", "escalation.interview_after", 4, "应为整数"),
        ("escalation: weekly\n", "escalation", 3, "应为映射"),
    ],
)
def test_escalation_errors_name_the_file_line_and_field(
    tmp_path: Path, body: str, field: str, line: int, words: str
):
    path = overlay(tmp_path, body)
    with pytest.raises(RulePackError) as caught:
        load_pack([path])
    error = caught.value
    assert (error.field, error.line, error.rule) == (field, line, None)
    assert error.path == str(path)
    assert words in str(error)
    assert str(error).startswith(f"{path} 第{line}行 字段“{field}”：")


def test_an_error_names_the_pack_that_set_the_field(tmp_path: Path):
    bad = overlay(tmp_path, "escalation:\n  interview_after: 99\n", "a.yaml")
    fine = overlay(tmp_path, "escalation:\n  quiet_days: false\n", "b.yaml")
    with pytest.raises(RulePackError) as caught:
        load_pack([bad, fine])
    assert (caught.value.path, caught.value.line) == (str(bad), 4)
    assert "应不大于12" in str(caught.value)


# --- the planner (pure) ----------------------------------------------------------------------

S = Org("S", "幸福街道党工委", OrgType.COMMITTEE)
G = Org("G", "社会组织党总支", OrgType.GENERAL_BRANCH, parent="S")
B = Org("B", "众创园区联合党支部", OrgType.BRANCH, parent="G")
B_G1 = Org("B-G1", "众创园区联合党支部第一党小组", OrgType.GROUP, parent="B")
ORGS = {o.code: o for o in (S, G, B, B_G1)}
CADRE = Member("L1", "王书记", "B", leader=True)
BRANCH = Chat(1, -101, "B", ChatRole.BRANCH)
AT_G = Chat(2, -201, "G", ChatRole.INSPECTOR)
AT_S = Chat(3, -301, "S", ChatRole.INSPECTOR)
MONDAY = dt.date(2026, 11, 23)


def planned(
    items: Sequence[LedgerItem],
    national: RulePack,
    workdays: WorkCalendar,
    *,
    as_of: dt.date,
    chats: Sequence[Chat] = (BRANCH, AT_G, AT_S),
    **options: Any,
) -> list[tuple[int, str, str]]:
    notices = plan_escalation(
        items,
        pack=national,
        chats=chats,
        orgs=ORGS,
        cadres={CADRE.id: CADRE},
        workdays=workdays,
        as_of=as_of,
        **options,
    )
    return [(n.chat, n.kind.value, n.key) for n in notices]


def test_an_unrectified_item_is_repeated_to_its_branch_each_week(
    national: RulePack, workdays: WorkCalendar
):
    opened = item(7, opened=MONDAY, deadline=MONDAY + dt.timedelta(days=30))
    assert workdays.is_workday(MONDAY)
    assert planned([opened], national, workdays, as_of=MONDAY + dt.timedelta(days=6)) == []
    week = {
        as_of: planned([opened], national, workdays, as_of=as_of)
        for as_of in (MONDAY + dt.timedelta(days=d) for d in (7, 8, 14, 21))
    }
    assert list(week.values()) == [
        [(1, "repeat", "repeat:7:0:1")],
        [(1, "repeat", "repeat:7:0:1")],  # the same key: the outbox keeps one
        [(1, "repeat", "repeat:7:0:2")],
        [(1, "repeat", "repeat:7:0:3")],
    ]
    (notice,) = plan_escalation(
        [opened],
        pack=national,
        chats=(BRANCH,),
        orgs=ORGS,
        cadres={},
        workdays=workdays,
        as_of=MONDAY + dt.timedelta(days=7),
    )
    assert notice.kind is NoticeKind.REPEAT
    assert notice.line == (
        "【黄色预警】B 众创园区联合党支部 · 支部党员大会 2026年第三季度 未按期开展："
        "已7天未整改，整改期限12月23日，请抓紧整改（问题台账第7号）"
    )
    # The service passes repeats=False outside the morning run: no repeat then.
    assert (
        planned([opened], national, workdays, as_of=MONDAY + dt.timedelta(days=7), repeats=False)
        == []
    )
    # Rectifying, cleared: nothing more.
    for status in (LedgerStatus.RECTIFYING, LedgerStatus.CLEARED):
        done = item(
            7, opened=MONDAY, status=status, cleared=MONDAY if status.value == "cleared" else None
        )
        assert planned([done], national, workdays, as_of=MONDAY + dt.timedelta(days=7)) == []


def test_a_repeat_due_on_a_weekend_or_holiday_waits_for_the_next_workday(
    national: RulePack, workdays: WorkCalendar
):
    # Opened on a Saturday: a week on is a Saturday again, then Sunday; Monday it goes.
    saturday = dt.date(2026, 11, 21)
    opened = item(8, opened=saturday, deadline=saturday + dt.timedelta(days=30))
    due = saturday + dt.timedelta(days=7)
    assert not workdays.is_workday(due)
    assert planned([opened], national, workdays, as_of=due) == []
    assert planned([opened], national, workdays, as_of=due + dt.timedelta(days=1)) == []
    monday = workdays.next_workday(due)
    assert planned([opened], national, workdays, as_of=monday) == [(1, "repeat", "repeat:8:0:1")]
    # The National Day holiday: due on 1 October, it goes out on the first workday after.
    before = dt.date(2026, 9, 24)
    holiday = before + dt.timedelta(days=7)
    assert workdays.holiday_name(holiday) is not None
    opened = item(9, opened=before, deadline=before + dt.timedelta(days=30))
    assert planned([opened], national, workdays, as_of=holiday) == []
    after = workdays.next_workday(holiday)
    n = (after - before).days // 7
    assert planned([opened], national, workdays, as_of=after) == [(1, "repeat", f"repeat:9:0:{n}")]
    # Without quiet days the repeat goes on the day.
    loud = _with(national, quiet_days=False)
    assert planned([opened], loud, workdays, as_of=holiday) == [(1, "repeat", "repeat:9:0:1")]
    assert planned([opened], _with(national, repeat_every_days=0), workdays, as_of=after) == []


def _with(pack: RulePack, **changes: Any) -> RulePack:
    from dataclasses import replace

    return replace(pack, escalation=pack.escalation.model_copy(update=changes))


def test_a_red_item_goes_one_level_further_up_once(national: RulePack, workdays: WorkCalendar):
    chain = [
        item(
            1,
            period="2026-Q2",
            opened=dt.date(2026, 7, 10),
            status=LedgerStatus.CLEARED,
            cleared=dt.date(2026, 8, 1),
        ),
        item(2, opened=MONDAY, deadline=MONDAY + dt.timedelta(days=30)),
    ]
    # The nearest inspector chat above B is G's; one level further up is S's.
    assert planned(chain, national, workdays, as_of=MONDAY) == [(3, "red", "red:2:0")]
    (notice,) = plan_escalation(
        chain, pack=national, chats=(AT_S,), orgs=ORGS, cadres={}, workdays=workdays, as_of=MONDAY
    )
    assert notice.line == (
        "【红色预警】B 众创园区联合党支部 · 支部党员大会 2026年第三季度 未按期开展："
        "连续两个季度未按期开展，请督促整改；已连续两次预警，按规定应约谈（问题台账第2号，11月23日发现）"
    )
    # No inspector chat above G's: G's own (the fallback). None at all: no red notice.
    assert planned(chain, national, workdays, as_of=MONDAY, chats=(BRANCH, AT_G)) == [
        (2, "red", "red:2:0")
    ]
    assert planned(chain, national, workdays, as_of=MONDAY, chats=(BRANCH,)) == []
    # An inspector chat of the branch itself is the nearest: the next level above it (G's)
    # hears, not every level.
    own = Chat(4, -401, "B", ChatRole.INSPECTOR)
    assert planned(chain, national, workdays, as_of=MONDAY, chats=(own, AT_G, AT_S)) == [
        (2, "red", "red:2:0"),
    ]
    # A party group's item climbs the same way; a disabled chat is passed over.
    group = [replace_org(i, "B-G1") for i in chain]
    off = Chat(3, -301, "S", ChatRole.INSPECTOR, enabled=False)
    assert planned(group, national, workdays, as_of=MONDAY, chats=(AT_G, off)) == [
        (2, "red", "red:2:0")
    ]
    # A week on it is repeated to the branch in red, and the red notice is not new.
    week = planned(chain, national, workdays, as_of=MONDAY + dt.timedelta(days=7))
    assert week == [(3, "red", "red:2:0"), (1, "repeat", "repeat:2:0:1")]
    # A reopened item is a new escalation, and its repeats count from its reopening.
    again = [chain[0], item(2, opened=dt.date(2026, 10, 1), reopened=1)]
    assert planned(
        again, national, workdays, as_of=MONDAY, starts={2: MONDAY - dt.timedelta(days=3)}
    ) == [(3, "red", "red:2:1")]


def replace_org(it: LedgerItem, org: str) -> LedgerItem:
    from dataclasses import replace

    return replace(it, org=org)


def test_an_overdue_item_turns_red_and_names_its_deadline(
    national: RulePack, workdays: WorkCalendar
):
    late = item(
        5, opened=dt.date(2026, 10, 12), deadline=dt.date(2026, 11, 11), status=LedgerStatus.OVERDUE
    )
    notices = plan_escalation(
        [late],
        pack=national,
        chats=(BRANCH, AT_G, AT_S),
        orgs=ORGS,
        cadres={},
        workdays=workdays,
        as_of=MONDAY,
    )
    assert [(n.chat, n.kind) for n in notices] == [(3, NoticeKind.RED), (1, NoticeKind.REPEAT)]
    red, repeat = (n.line for n in notices)
    assert red == (
        "【红色预警】B 众创园区联合党支部 · 支部党员大会 2026年第三季度 未按期开展："
        "整改期限11月11日已过仍未整改，请督促整改；连续两次预警将约谈（问题台账第5号，10月12日发现）"
    )
    assert repeat == (
        "【红色预警】B 众创园区联合党支部 · 支部党员大会 2026年第三季度 未按期开展："
        "已42天未整改，整改期限11月11日已过，请抓紧整改；连续两次预警将被约谈（问题台账第5号）"
    )
    # With 约谈 switched off the lines do not mention it.
    quiet = plan_escalation(
        [late],
        pack=_with(national, interview_after=0),
        chats=(AT_S,),
        orgs=ORGS,
        cadres={},
        workdays=workdays,
        as_of=MONDAY,
    )
    assert "约谈" not in quiet[0].line


def test_a_cadres_item_is_repeated_to_the_inspectors_not_the_branch(
    national: RulePack, workdays: WorkCalendar
):
    cadre = item(
        6,
        member="L1",
        rule="dual_org_life",
        opened=MONDAY - dt.timedelta(days=7),
        issue="双重组织生活 2026年第三季度 未按期参加",
    )
    notices = plan_escalation(
        [cadre],
        pack=national,
        chats=(BRANCH, AT_G, AT_S),
        orgs=ORGS,
        cadres={"L1": CADRE},
        workdays=workdays,
        as_of=MONDAY,
    )
    assert [(n.chat, n.key) for n in notices] == [(2, "repeat:6:0:1"), (3, "repeat:6:0:1")]
    assert notices[0].line.startswith("【黄色预警】L1 王书记（众创园区联合党支部） · 双重组织生活")
    # An inspector's own item (明察暗访) is not repeated; it is escalated when overdue.
    on_site = item(
        7,
        source=LedgerSource.INSPECTION,
        rule=None,
        period=None,
        issue="会议记录不规范",
        opened=MONDAY - dt.timedelta(days=14),
    )
    assert planned([on_site], national, workdays, as_of=MONDAY) == []
    overdue = item(
        7,
        source=LedgerSource.INSPECTION,
        rule=None,
        period=None,
        issue="会议记录不规范",
        status=LedgerStatus.OVERDUE,
    )
    assert planned([overdue], national, workdays, as_of=MONDAY) == [(3, "red", "red:7:0")]
    assert planned([cadre], _with(national, enabled=False), workdays, as_of=MONDAY) == []


def test_counts_in_words():
    assert [times_zh(n) for n in (1, 2, 3, 10, 12)] == ["一", "两", "三", "十", "12"]
    assert run_zh(2, Cadence.QUARTER) == "两个季度"
    assert run_zh(3, Cadence.MONTH) == "三个月"
    assert run_zh(2, Cadence.YEAR) == "两年"


# --- the whole way: store, outbox, dispatcher ------------------------------------------------

RULES = """\
pack: e2e
title: 端到端测试规则
grace_days: 5
escalation:
  repeat_every_days: 7
  quiet_days: true
  red_after_consecutive: 2
  red_when_overdue: true
  interview_after: 2
rules:
  - id: monthly_general_meeting
    name: 支部党员大会
    applies_to: branch
    period: month
    kinds: [general_meeting]
    source: 测试用：每月1次
"""
ORGS_CSV = """\
组织编码,组织名称,组织类型,上级组织编码,成立日期
S,幸福街道党工委,党委,,2008-07-01
G,社会组织党总支,党总支,S,2015-10-09
B,众创园区联合党支部,党支部,G,2016-04-15
"""
BRANCH_ID, G_ID, S_ID = -101, -201, -301


class Recorder:
    """A channel that keeps what it was given; takes the chat as the Channel interface names it
    (a :class:`Chat`) or as a bare Telegram id."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, str]] = []

    async def send(self, chat: Chat | int, text: str) -> int | None:
        chat_id = chat.chat_id if isinstance(chat, Chat) else chat
        assert chat_id is not None
        self.sent.append((chat_id, text))
        return len(self.sent)

    async def send_document(
        self, chat: Chat | int, filename: str, data: bytes, caption: str | None = None
    ) -> int | None:
        return await self.send(chat, f"[{filename}] {caption or ''}")

    async def aclose(self) -> None:
        return None

    def to(self, chat_id: int) -> list[str]:
        return [text for sent_to, text in self.sent if sent_to == chat_id]


def moment(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(1, 0), dt.UTC)  # 09:00 in Shanghai


def dispatch(store: Store, day: dt.date) -> Recorder:
    channel = Recorder()

    async def sleep(seconds: float) -> None:
        await asyncio.sleep(0)

    runner = Dispatcher(store, channel, worker="test", clock=lambda: moment(day), sleep=sleep)
    asyncio.run(runner.run_until_idle())
    return channel


@pytest.fixture
def district(store: Store, tmp_path: Path) -> tuple[Store, RulePack]:
    """Street S > general branch G > branch B, which held its monthly meeting until August."""
    rules = tmp_path / "e2e.yaml"
    rules.write_text(RULES, encoding="utf-8")
    pack = load_pack(baseline=rules)
    orgs = tmp_path / "orgs.csv"
    orgs.write_text(ORGS_CSV, encoding="utf-8")
    store.import_orgs(read_orgs(orgs))
    meetings = tmp_path / "meetings.csv"
    rows = [
        f"B,支部党员大会,2026-{m:02d}-10,10,8,第{m}月党员大会,2026-{m:02d}-10" for m in range(1, 9)
    ]
    meetings.write_text(
        "组织编码,会议类型,日期,应到人数,实到人数,主题,录入日期\n" + "\n".join(rows) + "\n",
        encoding="utf-8",
    )
    store.import_meetings(
        read_meetings(meetings, today=dt.date(2026, 9, 1), historical=True), pack.catalog
    )
    now = moment(dt.date(2026, 10, 1))
    alerts = AlertStore(store)
    alerts.add_chat("B", BRANCH_ID, ChatRole.BRANCH, now=now)
    alerts.add_chat("G", G_ID, ChatRole.INSPECTOR, now=now)
    alerts.add_chat("S", S_ID, ChatRole.INSPECTOR, now=now)
    return store, pack


def rows(store: Store, kind: str) -> list[dict[str, Any]]:
    return [r for r in AlertStore(store).outbox() if r["kind"] == kind]


def test_escalation_and_its_end_when_the_item_is_cleared(
    district: tuple[Store, RulePack], workdays: WorkCalendar, db_url: str
):
    store, pack = district

    def cycle(day: dt.date) -> dict[str, int]:
        report = run_cycle(store, pack, workdays, as_of=day, now=moment(day))
        return {k.value: n for k, n in report.enqueued.items() if n}

    # 12 October (Monday): September's meeting was missed; the item opens, yellow, no repeat.
    first = dt.date(2026, 10, 12)
    assert cycle(first) == {"missed": 3}
    (september,) = LedgerStore(store).items()
    assert (september.period, september.opened) == ("2026-09", first)
    dispatch(store, first)

    # Week 2: the branch is told again, in yellow; a rerun enqueues nothing new.
    week2 = dt.date(2026, 10, 19)
    assert cycle(week2) == {"repeat": 1}
    assert cycle(week2) == {}
    sent = dispatch(store, week2)
    assert sent.to(BRANCH_ID) == [
        "【问题整改提醒】以下1项问题尚未整改：\n"
        "• 【黄色预警】B 众创园区联合党支部 · 支部党员大会 2026年9月 未按期开展："
        f"已7天未整改，整改期限11月11日，请抓紧整改（问题台账第{september.id}号）"
    ]
    assert sent.to(G_ID) == sent.to(S_ID) == []

    # 6 November: October is missed too, two months in a row: the new item is red and goes one
    # level further up (the street, above the general branch), once.
    red_day = dt.date(2026, 11, 6)
    assert cycle(red_day) == {"missed": 3, "red": 1, "repeat": 1}
    october = LedgerStore(store).item(september.id + 1)
    assert october.period == "2026-10"
    sent = dispatch(store, red_day)
    (red,) = [t for t in sent.to(S_ID) if t.startswith("【红色预警通报】")]
    assert red == (
        "【红色预警通报】以下1项问题升为红色预警，请督促整改：\n"
        "• 【红色预警】B 众创园区联合党支部 · 支部党员大会 2026年10月 未按期开展："
        "连续两个月未按期开展，请督促整改；已连续两次预警，按规定应约谈"
        f"（问题台账第{october.id}号，11月6日发现）"
    )
    assert not any("红色预警" in t for t in sent.to(G_ID))
    assert [t.split("\n")[0] for t in sent.to(BRANCH_ID) if "预警" in t] == [
        "【问题整改提醒】以下1项问题尚未整改："
    ]
    assert cycle(red_day) == {}

    # 13 November: October's first repeat is enqueued (not yet sent); September is overdue and
    # turns red as well.
    later = dt.date(2026, 11, 13)
    assert cycle(later) == {"overdue": 2, "red": 1, "repeat": 2}
    pending = [r for r in rows(store, "repeat") if r["state"] == "pending"]
    assert {r["key"] for r in pending} == {f"repeat:{october.id}:0:1", f"repeat:{september.id}:0:4"}

    # The secretary rectifies October, the inspector clears it: its pending repeat is dropped
    # by the next cycle, and September's goes on.
    ledger = LedgerStore(store)
    ledger.rectify(october.id, "已于11月12日补开10月支部党员大会", by="书记", now=moment(later))
    ledger.clear(october.id, by="组织委员", today=later, now=moment(later))
    assert cycle(later) == {}
    dropped = {r["key"]: r for r in rows(store, "repeat") if r["state"] == "dropped"}
    assert set(dropped) == {f"repeat:{october.id}:0:1"}
    assert dropped[f"repeat:{october.id}:0:1"]["last_error"] == "已销号"
    sent = dispatch(store, later)
    branch = "\n".join(sent.to(BRANCH_ID))
    assert "2026年9月" in branch
    assert "【红色预警】" in branch
    assert "2026年10月" not in branch

    # Weeks on: September still repeats (every week, red), October never again.
    assert cycle(dt.date(2026, 11, 20)) == {"repeat": 1}
    assert cycle(dt.date(2026, 11, 27)) == {"repeat": 1, "reminder": 1}  # November due in 3 days
    keys = {r["key"] for r in rows(store, "repeat")}
    assert not any(k.startswith(f"repeat:{october.id}:") and k.endswith((":2", ":3")) for k in keys)

    # Recording September's rectification on the command line drops its pending repeat at once.
    assert [r["state"] for r in rows(store, "repeat") if r["key"].endswith(":0:6")] == ["pending"]
    result = CliRunner().invoke(
        main,
        [
            "--db",
            db_url,
            "ledger",
            "rectify",
            str(september.id),
            "--note",
            "已补开",
            "--by",
            "书记",
        ],
    )
    assert result.exit_code == 0, result.output
    last = [r for r in rows(store, "repeat") if r["key"] == f"repeat:{september.id}:0:6"]
    assert [(r["state"], r["last_error"]) for r in last] == [("dropped", "已登记整改")]
    sent = dispatch(store, dt.date(2026, 11, 27))
    assert [t.split("\n")[0] for _, t in sent.sent] == ["【组织生活到期提醒】共1项："]

    # The ledger shows the colours: October cleared (none), September yellow now that it is
    # being rectified (no longer overdue, and August was held).
    listed = CliRunner().invoke(
        main, ["--db", db_url, "ledger", "list", "--format", "json", "--as-of", "2026-11-27"]
    )
    assert listed.exit_code == 0, listed.output
    colour = {r["id"]: r["warning"] for r in json.loads(listed.stdout)}
    assert colour == {september.id: "yellow", october.id: None}


def test_every_notice_kind_has_its_words_and_its_place_in_the_digest_order():
    from monitor.alerts.dispatch import KIND_ORDER, header
    from monitor.text.cli import NOTICE_KIND_ZH, alerts_cycle

    assert set(KIND_ORDER) == set(NoticeKind)
    assert set(NOTICE_KIND_ZH) == {k.value for k in NoticeKind}
    assert header(NoticeKind.REPEAT, 3) == "【问题整改提醒】以下3项问题尚未整改："
    assert header(NoticeKind.RED, 1) == "【红色预警通报】以下1项问题升为红色预警，请督促整改："
    assert header(NoticeKind.RED, 40, 21, 40) == "【红色预警通报（续）】第21—40项，共40项："
    line = alerts_cycle(
        as_of=dt.date(2026, 11, 13), findings=9, missed=2, enqueued=[("repeat", 2), ("red", 1)]
    )
    assert "整改提醒 2" in line
    assert "红色预警 1" in line


def test_cancel_drops_only_pending_unclaimed_rows_with_the_prefixes(store: Store, tmp_path: Path):
    from monitor.alerts.plan import AlertPlan, Notice

    orgs = tmp_path / "orgs.csv"
    orgs.write_text(ORGS_CSV, encoding="utf-8")
    store.import_orgs(read_orgs(orgs))
    now = moment(dt.date(2026, 11, 13))
    alerts = AlertStore(store)
    chat = alerts.add_chat("B", BRANCH_ID, ChatRole.BRANCH, now=now)
    keys = ["repeat:12:0:1", "repeat:12:0:2", "red:12:0", "repeat:120:0:1", "overdue:12:0"]
    alerts.record(
        AlertPlan(notices=[Notice(k, chat.id, NoticeKind.REPEAT, None, k) for k in keys]), now=now
    )
    (claimed,) = alerts.claim("busy", now=now, lease=dt.timedelta(minutes=5), limit=1)
    assert claimed.key == "repeat:12:0:1"
    dropped = alerts.cancel(["repeat:12:", "red:12:"], reason="已销号", now=now)
    assert dropped == 2
    states = {r["key"]: (r["state"], r["last_error"]) for r in alerts.outbox()}
    assert states == {
        "repeat:12:0:1": ("pending", None),  # in a dispatcher's hands: left to it
        "repeat:12:0:2": ("dropped", "已销号"),
        "red:12:0": ("dropped", "已销号"),
        "repeat:120:0:1": ("pending", None),  # another item whose id starts the same
        "overdue:12:0": ("pending", None),
    }
    assert [d["outcome"] for d in alerts.deliveries()] == ["dropped", "dropped"]
    assert alerts.cancel([], reason="x", now=now) == 0


def test_the_monthly_report_shows_the_colours(
    district: tuple[Store, RulePack], workdays: WorkCalendar, db_url: str, tmp_path: Path
):
    store, pack = district
    for day in (dt.date(2026, 10, 12), dt.date(2026, 11, 6)):
        run_cycle(store, pack, workdays, as_of=day, now=moment(day))
    september, october = LedgerStore(store).items()

    def report(*args: str) -> str:
        result = CliRunner().invoke(
            main,
            ["--db", db_url, "report", "--month", "2026-10", "--as-of", "2026-11-06", *args],
        )
        assert result.exit_code == 0, result.output
        return result.stdout

    data = json.loads(report("--format", "json"))
    ledger = data["ledger"]
    assert (ledger["red"], ledger["yellow"], ledger["outstanding"]) == (1, 1, 2)
    warned = {i["id"]: (i["warning"], i["warning_zh"]) for i in ledger["items"]}
    assert warned == {september.id: ("yellow", "黄色"), october.id: ("red", "红色")}
    # The contract's keys are all still there, in front.
    assert list(data)[:4] == ["month", "org", "totals", "rows"]
    assert "三色预警：在账问题中红色预警1条、黄色预警1条" in report("--format", "md")
    html = report("--format", "html")
    assert "三色预警：红色预警1条，黄色预警1条" in html
    assert '<tr class="red">' in html
    book_path = tmp_path / "r.xlsx"
    report("--format", "xlsx", "-o", str(book_path))
    from openpyxl import load_workbook

    book = load_workbook(book_path)
    sheet = book["问题台账"]
    header = [c.value for c in sheet[1]]
    column = header.index("预警")
    assert {r[0].value: r[column].value for r in sheet.iter_rows(min_row=2)} == {
        september.id: "黄色",
        october.id: "红色",
    }
    assert "红色预警1条，黄色预警1条" in book["汇总"]["A2"].value
    docx_path = tmp_path / "r.docx"
    report("--format", "docx", "-o", str(docx_path))
    from docx import Document

    text = "\n".join(p.text for p in Document(str(docx_path)).paragraphs)
    assert "三色预警：在账问题中红色预警1条，黄色预警1条。" in text
    red = f"众创园区联合党支部：支部党员大会 2026年10月 未按期开展（问题台账第{october.id}号）"
    assert f"红色预警问题：{red}。" in text


def test_escalation_reaches_wecom_robots_and_ends_when_the_item_is_cleared(
    district: tuple[Store, RulePack], workdays: WorkCalendar
):
    """The same story on WeCom robots (the fake verifies keys, sizes and rates): the yellow
    repeat to the branch's robot, the red notice to the street's, nothing after clearing."""
    from monitor.alerts.channels import channel_from_env
    from monitor.alerts.plan import Platform
    from tests.fake_robots import FakeWeCom

    store, pack = district
    clock = {"now": moment(dt.date(2026, 10, 12))}
    with FakeWeCom(clock=lambda: clock["now"].timestamp()) as wecom:
        for org, role, name in (("B", ChatRole.BRANCH, "b"), ("S", ChatRole.INSPECTOR, "s")):
            AlertStore(store).add_chat(
                org,
                None,
                role,
                now=clock["now"],
                platform=Platform.WECOM,
                webhook=wecom.webhook(name),
            )

        def day(when: dt.date) -> None:
            clock["now"] = moment(when)
            run_cycle(store, pack, workdays, as_of=when, now=clock["now"])
            channel = channel_from_env({}, console=lambda *_: None, clock=lambda: clock["now"])
            dispatcher = Dispatcher(store, channel, worker="w", clock=lambda: clock["now"])

            async def go() -> None:
                try:
                    await dispatcher.run_until_idle()
                finally:
                    await channel.aclose()

            asyncio.run(go())

        day(dt.date(2026, 10, 12))
        day(dt.date(2026, 10, 19))
        branch = wecom.texts_for("b")
        assert any("**【问题整改提醒】" in t and "【黄色预警】" in t for t in branch)
        day(dt.date(2026, 11, 6))
        street = wecom.texts_for("s")
        assert any(t.startswith("**【红色预警通报】") and "2026年10月" in t for t in street)
        (october,) = [i for i in LedgerStore(store).items() if i.period == "2026-10"]
        day(dt.date(2026, 11, 12))
        ledger = LedgerStore(store)
        ledger.rectify(october.id, "已补开", by="书记", now=clock["now"])
        ledger.clear(october.id, by="组织委员", today=dt.date(2026, 11, 12), now=clock["now"])
        seen = len(wecom.texts_for("b"))
        for when in (dt.date(2026, 11, 13), dt.date(2026, 11, 20), dt.date(2026, 11, 27)):
            day(when)
        after = wecom.texts_for("b")[seen:]
        assert after  # September still repeats …
        assert not any("2026年10月" in t and "预警" in t for t in after)  # … October never again
