"""The revision's change log: which orgs each change of the registers touched."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import text

from monitor.core.rules import RulePack
from monitor.registers import readers
from monitor.store import Store
from monitor.store.exemptions import add_exemption, revoke_exemption
from monitor.store.records import Edit, delete_record, edit_record, list_records, restore_record
from monitor.store.revision import LOG_REVISIONS, bump_revision
from monitor.store.settings import set_registers_begin

NOW = dt.datetime(2026, 11, 20, 2, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 20)

ORGS = """组织编码,组织名称,组织类型,上级组织编码,成立日期,主题党日,设支委会
S,示范街道党工委,党委,,2001-01-01,,
B1,幸福社区党支部,党支部,S,2005-03-01,1FR,
B1-G1,第一党小组,党小组,B1,2005-03-01,,
B2,和平社区党支部,党支部,S,2005-03-01,1FR,
B2-G1,第一党小组,党小组,B2,2005-03-01,,
"""
MEMBERS = """党员编号,姓名,所在组织编码,所在党小组,职务,入党日期,党员类型,领导干部
M1,张三,B1,B1-G1,书记,2001-07-01,正式党员,否
M2,李四,B2,,党员,2020-07-01,正式党员,是
"""
MEETINGS = """组织编码,会议类型,日期,应到人数,实到人数,授课人,主题,参会人员,录入日期
B1,主题党日,2026-01-09,3,3,,学习党章,,2026-01-10
B1-G1,党小组会,2026-02-20,2,2,,学习,,2026-02-21
"""


def write(tmp_path: Path, name: str, content: str) -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


def test_each_change_logs_the_orgs_it_touched(store: Store, national: RulePack, tmp_path: Path):
    start = store.revision()
    store.import_orgs(readers.read_orgs(write(tmp_path, "orgs.csv", ORGS)))
    orgs_done = store.revision()
    assert orgs_done == start + 1
    assert store.changed_orgs(start, orgs_done) is None  # the tree changed: anything may have

    store.import_members(readers.read_members(write(tmp_path, "m.csv", MEMBERS)))
    members_done = store.revision()
    assert store.changed_orgs(orgs_done, members_done) == {"B1", "B1-G1", "B2"}

    parsed = readers.read_meetings(write(tmp_path, "mt.csv", MEETINGS), today=TODAY)
    store.import_meetings(parsed, national.catalog)
    meetings_done = store.revision()
    assert store.changed_orgs(members_done, meetings_done) == {"B1", "B1-G1"}
    # The same file again changes nothing: no new revision.
    store.import_meetings(parsed, national.catalog)
    assert store.revision() == meetings_done

    # A member moving from B2 to B1's group: both branches' rosters change.
    moved = MEMBERS.replace("M2,李四,B2,,", "M2,李四,B1,B1-G1,")
    store.import_members(readers.read_members(write(tmp_path, "m2.csv", moved)))
    assert store.changed_orgs(meetings_done, store.revision()) == {"B1", "B1-G1", "B2"}

    record = next(r for r in list_records(store, orgs=["B1-G1"]))
    assert record.meeting.id is not None
    before = store.revision()
    edit_record(
        store,
        record.meeting.id,
        Edit(topic="改"),
        catalog=national.catalog,
        today=TODAY,
        now=NOW,
        actor="t",
        reason="更正",
    )
    delete_record(store, record.meeting.id, now=NOW, actor="t", reason="重复")
    restore_record(store, record.meeting.id, now=NOW, actor="t", reason="误删")
    assert store.revision() == before + 3
    assert store.changed_orgs(before, store.revision()) == {"B1-G1"}

    before = store.revision()
    rule = national.rule("themed_party_day")
    granted = add_exemption(
        store, org="B2", rule=rule, period="2026-03", reason="疫情", by="t", now=NOW
    )
    assert store.changed_orgs(before, store.revision()) == {"B2"}
    middle = store.revision()
    revoke_exemption(store, granted, reason="撤销", by="t", now=NOW)
    assert store.changed_orgs(middle, store.revision()) == {"B2"}
    assert store.changed_orgs(before, store.revision()) == {"B2"}

    before = store.revision()
    set_registers_begin(store, dt.date(2026, 1, 1), by="t", now=NOW)
    assert store.changed_orgs(before, store.revision()) is None
    # Nothing between a revision and itself; nothing known about a future one.
    assert store.changed_orgs(store.revision(), store.revision()) == frozenset()
    assert store.changed_orgs(store.revision(), store.revision() - 1) is None


def test_the_log_forgets_revisions_long_gone(store: Store):
    start = store.revision()
    with store.engine.begin() as conn:
        for _ in range(LOG_REVISIONS + 2):
            bump_revision(conn, orgs=["B1"])
    now = store.revision()
    assert store.changed_orgs(now - LOG_REVISIONS, now) == {"B1"}
    assert store.changed_orgs(now - LOG_REVISIONS - 1, now) is None
    assert store.changed_orgs(start, now) is None
    with store.engine.connect() as conn:
        kept = conn.execute(text("SELECT COUNT(*) FROM revision_change")).scalar_one()
    assert kept == LOG_REVISIONS  # the revisions after now - LOG_REVISIONS, one row each


def test_a_database_from_before_the_log_answers_none_for_older_revisions(store: Store):
    # The migration's marker: what changed before the log began is unknown.
    assert store.changed_orgs(-1, store.revision()) is None
