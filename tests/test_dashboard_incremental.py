"""The dashboard brought up to date incrementally equals the dashboard evaluated in full, after
every kind of change of the registers; snapshots survive a restart and are refused when stale.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import replace
from pathlib import Path

import pytest

from monitor.core.rules import RulePack
from monitor.demo import demo_files
from monitor.holidays import work_calendar
from monitor.http.deps import AppState
from monitor.http.pages import dashboard_cache
from monitor.http.pages.dashboard import compute, warm_dashboards
from monitor.http.pages.dashboard import dashboard_cache as cache_for
from monitor.http.pages.dashboard_cache import (
    DashboardCache,
    evaluate,
    forget,
    load_pieces,
    load_view,
    snapshot_path,
    units_to_refresh,
)
from monitor.registers import readers
from monitor.store import Store
from monitor.store.exemptions import add_exemption, revoke_exemption
from monitor.store.records import Edit, delete_record, edit_record, list_records, restore_record
from monitor.store.settings import earliest_record_month
from tests.test_api import Clock

TODAY = dt.date(2026, 11, 24)
NOW = dt.datetime(2026, 11, 24, 2, tzinfo=dt.UTC)
CODES = ("JD01", "JD01-06")  # the street (child rows) and a general branch (branch rows)
MEETINGS_HEAD = "组织编码,会议类型,日期,应到人数,实到人数,授课人,主题,参会人员,录入日期\n"
MEMBERS_HEAD = "党员编号,姓名,所在组织编码,所在党小组,职务,入党日期,党员类型,领导干部\n"


class Registers:
    """Changes to the demo registers, each through the store's real entry points."""

    def __init__(self, store: Store, pack: RulePack, tmp_path: Path) -> None:
        self.store, self.pack, self.tmp = store, pack, tmp_path
        self.files = 0

    def _file(self, text: str) -> Path:
        self.files += 1
        path = self.tmp / f"change-{self.files}.csv"
        path.write_text(text, encoding="utf-8")
        return path

    def meetings(self, *rows: str) -> None:
        parsed = readers.read_meetings(
            self._file(MEETINGS_HEAD + "\n".join(rows) + "\n"), today=TODAY, historical=True
        )
        self.store.import_meetings(parsed, self.pack.catalog)

    def members(self, *rows: str) -> None:
        self.store.import_members(readers.read_members(self._file(MEMBERS_HEAD + "\n".join(rows))))

    def orgs(self, text: str) -> None:
        self.store.import_orgs(readers.read_orgs(self._file(text)))

    def record_of(self, org: str) -> int:
        found = list_records(self.store, orgs=[org])
        record = found[-1].meeting.id
        assert record is not None
        return record


def assert_same(cache: DashboardCache, store: Store, pack: RulePack) -> None:
    """The cached view-model equals the one evaluated in full, and so do the pieces it was
    built from (every finding, the registers judged, the late-entered records)."""
    for code in CODES:
        assert cache.get(store, pack, code, TODAY) == compute(store, pack, code, TODAY), code
        pieces = cache.pieces_of(code)
        assert pieces is not None
        full = evaluate(store, pack, code, TODAY, pieces.revision)
        assert pieces.digests == full.digests
        assert pieces.registers == full.registers
        assert pieces == full


@pytest.fixture
def changes(demo_store: Store, national: RulePack, tmp_path: Path) -> Registers:
    return Registers(demo_store, national, tmp_path)


def test_incremental_equals_full_after_every_kind_of_change(
    demo_store: Store, national: RulePack, changes: Registers, tmp_path: Path
) -> None:
    store, pack = demo_store, national
    cache = DashboardCache(directory=tmp_path / "snapshots")
    assert_same(cache, store, pack)
    assert cache.full == 2  # nothing cached yet: evaluated in full

    def step(change_full: bool = False) -> None:
        full = cache.full
        assert_same(cache, store, pack)
        # Each change touched one branch: re-judged alone unless the change says otherwise.
        assert cache.full == full + (2 if change_full else 0)

    # A party group's record held on time, and one entered late (a 后补记录).
    changes.meetings("JD01-06-01-G1,党小组会,2026-11-20,5,5,,学习,,2026-11-21")
    step()
    changes.meetings("JD01-06-02,主题党日,2026-09-25,8,7,,补录,,2026-11-23")
    step()
    # 众创园区 missed August's 主题党日: a record entered now turns the cell 后补.
    changes.meetings("JD01-06-01,主题党日,2026-08-20,13,11,,补录,,2026-11-23")
    step()
    # Edited, deleted, restored.
    record = changes.record_of("JD01-06-02")
    edit_record(
        store, record, Edit(attended="2"), catalog=pack.catalog, today=TODAY, now=NOW,
        actor="t", reason="更正",
    )  # fmt: skip
    step()
    delete_record(store, record, now=NOW, actor="t", reason="重复")
    step()
    restore_record(store, record, now=NOW, actor="t", reason="误删")
    step()
    # An exemption granted, then revoked.
    granted = add_exemption(
        store, org="JD01-06-01", rule=pack.rule("themed_party_day"), period="2026-10",
        reason="园区停电", by="t", now=NOW,
    )  # fmt: skip
    step()
    revoke_exemption(store, granted, reason="撤销", by="t", now=NOW)
    step()
    # A leading cadre's attendance (双重组织生活) at their party group's meeting.
    changes.meetings("JD01-03-G1,党小组会,2026-10-15,6,6,,学习,M0061;M0062,2026-10-16")
    step()
    # A member import for one branch: a new leading cadre, a member turned full.
    changes.members(
        "M0300,新党员,JD01-06-01,JD01-06-01-G2,党员,2026-06-01,正式党员,是",
        "M0301,又一党员,JD01-06-01,,党员,2026-01-01,预备党员,否",
    )
    step()
    # A probationary member of 安居物业 turned full: seven full members, and with them the
    # committee's rules (设支委会 is blank there).
    changes.members("M0090,龙梓轩,JD01-04,JD01-04-G1,党员,2025-12-11,正式党员,否")
    step()
    # An org import: the tree may have changed, evaluated in full.
    orgs = demo_files()["orgs"].read_text(encoding="utf-8")
    changes.orgs(orgs.replace("众创园区联合党支部,党支部", "众创园区联合党支部（更名）,党支部"))
    step(change_full=True)
    # A change outside both dashboards' reach serves the cached view.
    builds = cache.builds
    changes.meetings("JD01-01,谈心谈话,2026-11-19,2,2,,谈心,,2026-11-19")
    assert cache.get(store, pack, "JD01-06", TODAY) == compute(store, pack, "JD01-06", TODAY)
    assert cache.builds == builds
    step()


def test_a_cadre_whose_group_moved_to_another_branch_is_rejudged_with_it(
    demo_store: Store,
    national: RulePack,
    changes: Registers,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store, pack = demo_store, national
    monkeypatch.setattr(dashboard_cache, "INCREMENTAL_SHARE", 0.5)  # two of seven branches
    # Move 在职教师党小组 (with its leading cadre M0061, still of JD01-03) under 幸福社区.
    orgs = demo_files()["orgs"].read_text(encoding="utf-8")
    changes.orgs(orgs.replace("在职教师党小组,党小组,JD01-03,", "在职教师党小组,党小组,JD01-01,"))
    cache = DashboardCache(directory=tmp_path / "snapshots")
    assert_same(cache, store, pack)
    pieces = cache._items["JD01"].pieces
    assert units_to_refresh(pieces.registers, {"JD01-03-G1"}) == {"JD01-01", "JD01-03"}
    full = cache.full
    changes.meetings("JD01-03-G1,党小组会,2026-10-16,6,6,,学习,M0061,2026-10-16")
    assert_same(cache, store, pack)
    assert cache.full == full


def test_a_random_sequence_of_changes_stays_equal(
    demo_store: Store, national: RulePack, changes: Registers, tmp_path: Path
) -> None:
    store, pack = demo_store, national
    rng = random.Random(14)
    cache = DashboardCache(directory=tmp_path / "snapshots")
    assert_same(cache, store, pack)
    orgs = [o.code for o in store.orgs() if o.type.value in ("branch", "group")]
    kinds = {
        "branch": ["主题党日", "支部委员会会议", "党课", "支部党员大会"],
        "group": ["党小组会"],
    }
    types = {o.code: o.type.value for o in store.orgs()}
    for n in range(12):
        org = rng.choice(orgs)
        move = rng.random()
        if move < 0.6:
            day = dt.date(2026, rng.randint(5, 11), rng.randint(1, 20))
            late = day + dt.timedelta(days=rng.choice([0, 1, 30]))
            kind = rng.choice(kinds[types[org]])
            changes.meetings(
                f"{org},{kind},{day},9,{rng.randint(3, 9)},,随机{n},,{min(late, TODAY)}"
            )
        elif move < 0.8:
            delete_record(store, changes.record_of(org), now=NOW, actor="t", reason="随机")
        else:
            rule = "party_group_meeting" if types[org] == "group" else "themed_party_day"
            add_exemption(
                store, org=org, rule=pack.rule(rule), period=f"2026-{rng.randint(6, 11):02}",
                reason="随机", by="t", now=NOW,
            )  # fmt: skip
        assert_same(cache, store, pack)
    assert cache.full == 2  # every step after the first was incremental


def test_a_record_that_moves_when_the_registers_began_is_evaluated_in_full(
    demo_store: Store, national: RulePack, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    store, pack = demo_store, national
    monkeypatch.setattr(dashboard_cache, "INCREMENTAL_SHARE", 1.0)  # splice whatever it can
    cache = DashboardCache(directory=tmp_path / "snapshots")
    assert_same(cache, store, pack)
    january = list_records(store, first=dt.date(2026, 1, 1), last=dt.date(2026, 1, 31))
    for record in january:
        assert record.meeting.id is not None
        delete_record(store, record.meeting.id, now=NOW, actor="t", reason="清理")
    # January's records gone, the registers begin in February: January's periods go unreported.
    assert earliest_record_month(store) == dt.date(2026, 2, 1)
    full = cache.full
    assert_same(cache, store, pack)
    assert cache.full == full + 2


def test_a_restarted_process_starts_from_the_snapshot(
    demo_store: Store, national: RulePack, changes: Registers, tmp_path: Path
) -> None:
    store, pack = demo_store, national
    directory = tmp_path / "snapshots"
    first = DashboardCache(directory=directory)
    view = first.get(store, pack, "JD01", TODAY)
    first.wait()
    assert snapshot_path(directory, "JD01", TODAY, "view").exists()
    assert load_pieces(directory, pack, "JD01", TODAY) == first.pieces_of("JD01")

    restarted = DashboardCache(directory=directory)
    assert restarted.get(store, pack, "JD01", TODAY) == view
    assert (restarted.loaded, restarted.builds) == (1, 0)  # the snapshot's view, as it was
    restarted.wait()  # its pieces are read in the background
    assert restarted.pieces_of("JD01") == first.pieces_of("JD01")
    assert restarted.loaded_pieces == 1

    changes.meetings("JD01-06-01-G1,党小组会,2026-11-21,5,5,,学习,,2026-11-21")
    again = DashboardCache(directory=directory)
    assert again.get(store, pack, "JD01", TODAY) == compute(store, pack, "JD01", TODAY)
    # The view was stale: the pieces read, the one branch re-judged, the view rebuilt.
    assert (again.loaded, again.loaded_pieces, again.builds, again.full) == (1, 1, 1, 0)
    assert_same(again, store, pack)


def test_a_snapshot_of_another_day_pack_or_version_is_not_used(
    demo_store: Store, national: RulePack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, pack = demo_store, national
    directory = tmp_path / "snapshots"
    cache = DashboardCache(directory=directory)
    cache.get(store, pack, "JD01-06", TODAY)
    cache.wait()
    for load in (load_view, load_pieces):
        assert load(directory, pack, "JD01-06", TODAY) is not None
        assert load(directory, pack, "JD01-06", TODAY + dt.timedelta(days=1)) is None
        stricter = replace(pack, grace_days=pack.grace_days + 1)
        assert load(directory, stricter, "JD01-06", TODAY) is None
        with monkeypatch.context() as patch:
            patch.setattr(dashboard_cache, "__version__", "0.0.0-other")
            assert load(directory, pack, "JD01-06", TODAY) is None
    # A torn file is ignored (the request evaluates instead).
    snapshot_path(directory, "JD01-06", TODAY, "view").write_bytes(b"\x80\x05torn")
    assert load_view(directory, pack, "JD01-06", TODAY) is None
    fresh = DashboardCache(directory=directory)
    assert fresh.get(store, pack, "JD01-06", TODAY) == compute(store, pack, "JD01-06", TODAY)
    assert (fresh.loaded, fresh.full) == (0, 1)


def test_a_start_warms_the_top_level_dashboards(
    demo_store: Store, national: RulePack, tmp_path: Path
) -> None:
    clock = Clock()
    clock.now = NOW
    state = AppState(
        demo_store,
        national,
        work_calendar(warn=lambda *_: None),
        clock=clock,
        data_dir=tmp_path / "data",
    )
    warm_dashboards(state).join()
    cache = cache_for(state)
    assert cache.pieces_of("JD01") is not None  # the street, the only org without a parent
    builds = cache.builds
    assert cache.get(demo_store, national, "JD01", TODAY) == compute(
        demo_store, national, "JD01", TODAY
    )
    assert cache.builds == builds  # served as warmed
    cache.wait()
    assert snapshot_path(tmp_path / "data" / "cache" / "dashboard", "JD01", TODAY, "view").exists()
    forget(demo_store)


def test_a_new_days_snapshot_replaces_the_old_days(
    demo_store: Store, national: RulePack, tmp_path: Path
) -> None:
    directory = tmp_path / "snapshots"
    yesterday = TODAY - dt.timedelta(days=1)
    for day in (yesterday, TODAY):
        cache = DashboardCache(directory=directory)
        cache.get(demo_store, national, "JD01-06", day)
        cache.get(demo_store, national, "JD01", day)
        cache.wait()
    names = sorted(path.name for path in directory.iterdir())
    codes, parts = ("JD01", "JD01-06"), ("pieces", "view")
    assert names == sorted(f"{code}-{TODAY}.{part}.pickle" for code in codes for part in parts)
