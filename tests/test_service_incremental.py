"""The service's kept verdicts (issue 14): after any sequence of changes, a cycle that re-judges
only what changed leaves the same verdicts as a full evaluation and enqueues, records and
opens exactly what a full cycle does on a twin database."""

from __future__ import annotations

import datetime as dt
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.alerts.plan import ChatRole, NoticeKind
from monitor.alerts.store import AlertStore
from monitor.check import run_check
from monitor.core.domain import Status
from monitor.core.evaluator import Window
from monitor.core.incremental import Verdicts, moved_from
from monitor.core.rules import load_pack
from monitor.demo import SNAPSHOT_DAY, demo_files
from monitor.holidays import work_calendar
from monitor.ledger.model import LedgerStatus
from monitor.ledger.store import LedgerStore
from monitor.registers.readers import read_meetings, read_members, read_orgs
from monitor.service.runner import CycleReport, CycleState, cycle_since, run_cycle
from monitor.store import Store
from monitor.store.exemptions import add_exemption, revoke_exemption
from monitor.store.records import Edit, delete_record, edit_record, list_records, restore_record
from monitor.store.settings import registers_begin, registers_begin_after

PACK = load_pack()
WORKDAYS = work_calendar(warn=lambda *a: None)
START = dt.date(2026, 11, 22)  # after the demo's last record: as_of alone moves verdicts
LAST_DAY = dt.date(2027, 3, 31)  # records may be entered for days up to this one
NOW = dt.datetime(2026, 11, 24, 2, tzinfo=dt.UTC)
BRANCHES = ("JD01-01", "JD01-03", "JD01-04", "JD01-06-01")
GROUPS = ("JD01-01-G1", "JD01-03-G1", "JD01-04-G1")
BRANCH_KINDS = ("主题党日", "支部委员会会议", "党课", "支部党员大会")
MEETINGS_HEAD = "组织编码,会议类型,日期,应到人数,实到人数,授课人,主题,参会人员,录入日期\n"
MEMBERS_HEAD = "党员编号,姓名,所在组织编码,所在党小组,职务,入党日期,党员类型,领导干部\n"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo district with two chats, on SQLite: each example copies it twice."""
    path = tmp_path_factory.mktemp("twins") / "template.db"
    files = demo_files()
    with Store.open(f"sqlite:///{path}") as store:
        store.import_orgs(read_orgs(files["orgs"]))
        store.import_members(read_members(files["members"]))
        store.import_meetings(
            read_meetings(files["meetings"], today=SNAPSHOT_DAY, historical=True), PACK.catalog
        )
        AlertStore(store).add_chat("JD01-01", -1001, ChatRole.BRANCH, now=NOW)
        AlertStore(store).add_chat("JD01", -2002, ChatRole.INSPECTOR, now=NOW)
    return path


# A step: (name, arguments). Drawn here, applied to both twins by ``apply``.
record = st.tuples(
    st.just("record"),
    st.sampled_from(BRANCHES + GROUPS),
    st.integers(0, 4),  # kind (a group's is always 党小组会)
    st.integers(-70, 60),  # days from the current as_of: past, or yet to come
    st.integers(1, 9),  # attended of 9
    st.booleans(),  # the cadre M0061 attended (双重组织生活)
)
steps = st.one_of(
    record,
    st.tuples(st.just("edit"), st.sampled_from(BRANCHES + GROUPS), st.integers(1, 9)),
    st.tuples(st.just("delete"), st.sampled_from(BRANCHES + GROUPS)),
    st.tuples(st.just("restore"), st.just("")),
    st.tuples(st.just("exempt"), st.sampled_from(BRANCHES), st.integers(-2, 1)),
    st.tuples(st.just("revoke"), st.just("")),
    st.tuples(st.just("member"), st.sampled_from(("M0090", "M0300", "M0061")), st.integers(0, 3)),
    st.tuples(st.just("chat"), st.sampled_from(BRANCHES)),
    # A person moves a ledger item: rectified (整改), sent back (退回) or cleared (销号).
    st.tuples(
        st.just("ledger"), st.sampled_from(("rectify", "send_back", "clear")), st.integers(0, 50)
    ),
    st.tuples(st.just("nothing")),
)
# Days as_of moves before a step's cycle: across period ends (the 1st) and grace ends (~5th).
advances = st.sampled_from((0, 0, 1, 4, 9, 17, 35))


class Twin:
    """One of the two databases and what the steps did to it."""

    def __init__(self, store: Store, tmp: Path) -> None:
        self.store, self.tmp = store, tmp
        self.files = 0
        self.exemptions: list[int] = []
        self.deleted: list[int] = []

    def csv(self, text: str) -> Path:
        self.files += 1
        path = self.tmp / f"{id(self)}-{self.files}.csv"
        path.write_text(text, encoding="utf-8")
        return path

    def last_record(self, org: str) -> int | None:
        found = [r for r in list_records(self.store, orgs=[org]) if r.meeting.id is not None]
        return found[-1].meeting.id if found else None


def apply(twin: Twin, step: tuple[Any, ...], as_of: dt.date) -> None:
    store = twin.store
    name = step[0]
    if name == "record":
        _, org, kind, offset, attended, cadre = step
        day = min(max(as_of + dt.timedelta(days=offset), dt.date(2026, 1, 1)), LAST_DAY)
        what = "党小组会" if org in GROUPS else BRANCH_KINDS[kind % len(BRANCH_KINDS)]
        who = "M0061" if cadre else ""
        row = f"{org},{what},{day},9,{attended},,随机,{who},{day}"
        parsed = read_meetings(
            twin.csv(MEETINGS_HEAD + row + "\n"), today=LAST_DAY, historical=True
        )
        store.import_meetings(parsed, PACK.catalog)
    elif name == "edit":
        found = twin.last_record(step[1])
        if found is not None:
            edit_record(
                store,
                found,
                Edit(expected="9", attended=str(step[2])),
                catalog=PACK.catalog,
                today=LAST_DAY,
                now=NOW,
                actor="t",
                reason="更正",
            )
    elif name == "delete":
        found = twin.last_record(step[1])
        if found is not None:
            delete_record(store, found, now=NOW, actor="t", reason="重复")
            twin.deleted.append(found)
    elif name == "restore" and twin.deleted:
        restore_record(store, twin.deleted.pop(), now=NOW, actor="t", reason="误删")
    elif name == "exempt":
        month = (as_of.replace(day=1) + dt.timedelta(days=31 * step[2] + 1)).replace(day=1)
        twin.exemptions.append(
            add_exemption(
                store,
                org=step[1],
                rule=PACK.rule("themed_party_day"),
                period=f"{month:%Y-%m}",
                reason="随机",
                by="t",
                now=NOW,
            )
        )
    elif name == "revoke" and twin.exemptions:
        revoke_exemption(store, twin.exemptions.pop(0), reason="撤销", by="t", now=NOW)
    elif name == "member":
        member, change = step[1], step[2]
        rows = {
            0: f"{member},某党员,JD01-03,JD01-03-G1,党员,2026-06-01,正式党员,是",
            1: f"{member},某党员,JD01-04,JD01-04-G1,党员,2025-12-11,正式党员,否",
            2: f"{member},某党员,JD01-01,JD01-01-G1,党员,2026-10-01,预备党员,是",
            3: f"{member},某党员,JD01-03,,委员,2026-11-01,正式党员,否",
        }
        store.import_members(read_members(twin.csv(MEMBERS_HEAD + rows[change] + "\n")))
    elif name == "ledger":
        ledger = LedgerStore(store)
        wanted = LedgerStatus.OPEN if step[1] == "rectify" else LedgerStatus.RECTIFYING
        items = ledger.items(status=wanted)
        if items:
            item = items[step[2] % len(items)].id
            if step[1] == "rectify":
                ledger.rectify(item, "已补开", by="书记", now=NOW)
            elif step[1] == "send_back":
                ledger.send_back(item, "未附记录", by="督查", today=as_of, now=NOW)
            else:
                ledger.clear(item, by="督查", today=as_of, now=NOW)
    elif name == "chat":
        AlertStore(store).add_chat(
            step[1], -3000 - BRANCHES.index(step[1]), ChatRole.BRANCH, now=NOW
        )


def outcome(store: Store) -> tuple[Any, ...]:
    """What cycles left behind: outbox rows, finding states, ledger items (ids included)."""
    outbox = sorted(
        (r["key"], r["chat_id"], r["kind"], r["line"], r["state"])
        for r in AlertStore(store).outbox()
    )
    states = sorted((k.token, v.value) for k, v in AlertStore(store).states().items())
    items = sorted(
        (i.id, i.org, i.member, i.rule, i.period, i.status.value, i.opened, i.deadline, i.issue)
        for i in LedgerStore(store).items()
    )
    return outbox, states, items


def summary(report: CycleReport) -> tuple[Any, ...]:
    ledger = report.ledger
    assert ledger is not None
    overdue = sorted(i.id for i in ledger.overdue)
    return report.as_of, report.findings, report.missed, report.enqueued, ledger.opened, overdue


def full_verdicts(store: Store, as_of: dt.date) -> Verdicts:
    check = run_check(store, PACK, as_of=as_of, since=cycle_since(as_of), with_records=False)
    return Verdicts.of(PACK, check.findings)


@pytest.fixture
def twins(template: Path, tmp_path: Path) -> Iterator[Callable[[], tuple[Twin, Twin]]]:
    opened: list[Store] = []
    made = 0

    def make() -> tuple[Twin, Twin]:
        nonlocal made
        made += 1
        pair = []
        for side in ("kept", "full"):
            path = tmp_path / f"{side}-{made}.db"
            shutil.copyfile(template, path)
            store = Store.open(f"sqlite:///{path}")
            opened.append(store)
            pair.append(Twin(store, tmp_path))
        return pair[0], pair[1]

    yield make
    for store in opened:
        store.close()


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=st.lists(st.tuples(steps, advances, st.booleans()), min_size=1, max_size=6))
def test_kept_verdicts_and_their_cycles_equal_full_ones(
    twins: Callable[[], tuple[Twin, Twin]], sequence: list[tuple[tuple[Any, ...], int, bool]]
) -> None:
    kept, full = twins()
    state = CycleState()
    as_of = START
    for step, days, reminders in [(("nothing",), 0, False), *sequence]:
        as_of += dt.timedelta(days=days)
        apply(kept, step, as_of)
        apply(full, step, as_of)
        ours = run_cycle(
            kept.store, PACK, WORKDAYS, as_of=as_of, now=NOW, reminders=reminders, state=state
        )
        theirs = run_cycle(full.store, PACK, WORKDAYS, as_of=as_of, now=NOW, reminders=reminders)
        assert summary(ours) == summary(theirs), step
        assert outcome(kept.store) == outcome(full.store), step
        assert state.kept is not None
        assert state.kept.verdicts.snapshot() == full_verdicts(kept.store, as_of).snapshot(), step
    assert state.full >= 1


def test_a_quiet_cycle_rejudges_nothing_and_a_record_rejudges_its_branch(
    twins: Callable[[], tuple[Twin, Twin]],
) -> None:
    kept, _ = twins()
    state = CycleState()
    as_of = dt.date(2026, 11, 24)
    first = run_cycle(kept.store, PACK, WORKDAYS, as_of=as_of, now=NOW, state=state)
    quiet = run_cycle(kept.store, PACK, WORKDAYS, as_of=as_of, now=NOW, state=state)
    assert (state.full, state.partial) == (1, 1)
    assert (quiet.findings, quiet.missed, quiet.total) == (first.findings, first.missed, 0)
    # 众创园区 held no 支部党员大会 in the third quarter: a late record (补录) turns it held,
    # re-judging that branch alone, and the inspector who heard of the miss hears of it.
    assert state.kept is not None
    verdicts = state.kept.verdicts
    assert verdicts.status("JD01-06-01", "", "branch_general_meeting", "2026-Q3") is Status.MISSED
    apply(kept, ("record", "JD01-06-01", 3, -60, 9, False), as_of)
    late = run_cycle(kept.store, PACK, WORKDAYS, as_of=as_of, now=NOW, state=state)
    assert (state.full, state.partial) == (1, 2)
    assert verdicts.status("JD01-06-01", "", "branch_general_meeting", "2026-Q3") is Status.HELD
    assert late.enqueued == Counter({NoticeKind.LATE: 1})
    assert verdicts.snapshot() == full_verdicts(kept.store, as_of).snapshot()


def test_the_periods_that_move_with_as_of_are_new_ones_and_those_whose_grace_ended() -> None:
    old = Window.for_(dt.date(2026, 11, 30), dt.date(2026, 1, 1))
    assert moved_from(PACK, old, old) is None
    # December starts: December's periods are new, nothing's grace ended on the 1st.
    new = Window.for_(dt.date(2026, 12, 1), dt.date(2026, 1, 1))
    assert moved_from(PACK, old, new) == dt.date(2026, 12, 1)
    # A week later November's grace has ended (and the fourth quarter's has not).
    week = Window.for_(dt.date(2026, 12, 8), dt.date(2026, 1, 1))
    assert moved_from(PACK, new, week) == dt.date(2026, 11, 1)


def test_a_person_moving_the_ledger_between_cycles_is_seen_by_the_next_kept_cycle(
    twins: Callable[[], tuple[Twin, Twin]],
) -> None:
    kept, full = twins()
    state = CycleState()
    as_of = dt.date(2026, 11, 24)
    key = ("JD01-06-01", None, "branch_general_meeting", "2026-Q3")

    def cycle() -> None:
        ours = run_cycle(kept.store, PACK, WORKDAYS, as_of=as_of, now=NOW, state=state)
        theirs = run_cycle(full.store, PACK, WORKDAYS, as_of=as_of, now=NOW)
        assert summary(ours) == summary(theirs)
        assert outcome(kept.store) == outcome(full.store)

    def item(twin: Twin) -> Any:
        (found,) = [
            i for i in LedgerStore(twin.store).items() if (i.org, i.member, i.rule, i.period) == key
        ]
        return found

    cycle()
    for twin in (kept, full):  # a late record (补录): the miss is held, its item rectifying
        apply(twin, ("record", "JD01-06-01", 3, -60, 9, False), as_of)
    cycle()
    assert item(kept).status is LedgerStatus.RECTIFYING
    for twin in (kept, full):  # an inspector sends it back (退回) the same day
        LedgerStore(twin.store).send_back(
            item(twin).id, "未附记录", by="督查", today=as_of, now=NOW
        )
    # The finding is still held: the next cycle (same day) moves the item back, as a full
    # cycle does, although no finding changed.
    cycle()
    assert item(kept).status is LedgerStatus.RECTIFYING


def test_when_the_registers_began_is_checked_from_the_changed_orgs_records(
    twins: Callable[[], tuple[Twin, Twin]],
) -> None:
    kept, _ = twins()
    store = kept.store
    began = registers_begin(store)
    assert began is not None
    first = [
        r.meeting
        for r in list_records(store)
        if r.meeting.date < began.replace(month=began.month + 1)
    ]
    assert first
    assert registers_begin_after(store, began, {first[0].org}) == began
    # An earlier record moves it back; deleting every record of its month moves it on.
    path = kept.csv(MEETINGS_HEAD + "JD01-01,主题党日,2025-11-15,9,9,,旧,,2025-11-15\n")
    store.import_meetings(read_meetings(path, today=LAST_DAY, historical=True), PACK.catalog)
    assert registers_begin_after(store, began, {"JD01-01"}) == dt.date(2025, 11, 1)
    (earlier,) = list_records(store, orgs=["JD01-01"], last=dt.date(2025, 12, 31))
    assert earlier.meeting.id is not None
    delete_record(store, earlier.meeting.id, now=NOW, actor="t", reason="误录")
    for meeting in first:
        assert meeting.id is not None
        delete_record(store, meeting.id, now=NOW, actor="t", reason="测试")
    moved = registers_begin_after(store, began, {m.org for m in first} | {"JD01-01"})
    assert moved == registers_begin(store)
    assert moved is not None
    assert moved > began
