"""The store on SQLite and PostgreSQL: imports are one transaction, idempotent, and validated."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from openpyxl import Workbook
from sqlalchemy import text
from sqlmodel import SQLModel

from monitor.check import run_check
from monitor.core.domain import Org, OrgType, Status
from monitor.core.errors import RegisterError
from monitor.core.evaluator import Window
from monitor.core.rules import RulePack
from monitor.demo import demo_files
from monitor.registers import readers
from monitor.store import Store
from monitor.store.schema import alembic_config, current_revision, head_revision, make_engine
from monitor.store.settings import EARLIEST_LIVE_MONTH

TODAY = dt.date(2026, 11, 20)

ORGS = """组织编码,组织名称,组织类型,上级组织编码,成立日期,主题党日,设支委会
S,示范街道党工委,党委,,2001-01-01,,
B1,幸福社区党支部,党支部,S,2005-03-01,1FR,
B1-G1,第一党小组,党小组,B1,2005-03-01,,
"""
MEMBERS = """党员编号,姓名,所在组织编码,所在党小组,职务,入党日期,党员类型,领导干部
M1,张三,B1,B1-G1,书记,2001-07-01,正式党员,否
M2,李四,B1,,党员,2020-07-01,正式党员,是
M3,王五,B1,,党员,2025-12-01,预备党员,否
"""
MEETINGS = """组织编码,会议类型,日期,应到人数,实到人数,授课人,主题,参会人员,录入日期
B1,主题党日+党课,2026-01-09,3,3,M1,学习党章,M1;M2,2026-01-10
B1,支部党员大会,2026/3/10,3,2,,讨论发展党员,,2026-03-11
B1-G1,党小组会,2026年2月20日,2,2,,学习,M2,
"""


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def load(store: Store, tmp_path: Path, pack: RulePack, meetings: str = MEETINGS) -> None:
    store.import_orgs(readers.read_orgs(write(tmp_path, "orgs.csv", ORGS)))
    store.import_members(readers.read_members(write(tmp_path, "members.csv", MEMBERS)))
    parsed = readers.read_meetings(
        write(tmp_path, "meetings.csv", meetings), today=TODAY, historical=True
    )
    store.import_meetings(parsed, pack.catalog)


def import_file(store: Store, register: str, path: Path, pack: RulePack) -> None:
    if register == "orgs":
        store.import_orgs(readers.read_orgs(path))
    elif register == "members":
        store.import_members(readers.read_members(path))
    else:
        store.import_meetings(
            readers.read_meetings(path, today=TODAY, historical=True), pack.catalog
        )


def snapshot(store: Store) -> tuple[object, ...]:
    return (store.orgs(), store.members(), store.meetings())


def test_the_schema_is_created_on_first_use_and_matches_the_tables(store: Store):
    assert current_revision(store.engine) == head_revision()
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    # Only differences in how a unique key is spelled (index or constraint) are tolerated.
    assert [
        d
        for d in diff
        if d[0] not in ("add_constraint", "remove_index", "add_index", "remove_constraint")
    ] == []


def test_when_the_registers_began_is_read_from_an_index_not_a_scan(tmp_path: Path):
    # Every evaluation asks; on a province a scan of the meeting table cost more than judging
    # a branch. (SQLite only: PostgreSQL's planner scans a table this small whatever it has.)
    with Store.open(f"sqlite:///{tmp_path / 'plan.db'}") as store, store.engine.connect() as conn:
        query = str(EARLIEST_LIVE_MONTH.compile(conn, compile_kwargs={"literal_binds": True}))
        plan = " ".join(str(row[-1]) for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + query))
    assert "ix_meeting_live_month" in plan, plan


def test_importing_registers_maps_rows_to_domain_objects(store: Store, tmp_path: Path, national):
    load(store, tmp_path, national)
    assert store.counts() == {"orgs": 3, "members": 3, "meetings": 3}
    meetings = {m.date: m for m in store.meetings()}
    combined = meetings[dt.date(2026, 1, 9)]
    assert combined.kinds == {"themed_party_day", "party_lesson"}
    assert combined.attendees == ("M1", "M2")
    assert combined.recorded == dt.date(2026, 1, 10)
    # Read as historical: a blank 录入日期 is the meeting date.
    assert meetings[dt.date(2026, 2, 20)].recorded == dt.date(2026, 2, 20)
    [leader] = store.members(leaders_only=True)
    assert leader.id == "M2"
    assert store.subtree("B1") == ["B1", "B1-G1"]


def test_importing_the_same_files_twice_leaves_the_same_data(
    store: Store, tmp_path: Path, national
):
    load(store, tmp_path, national)
    before = snapshot(store)
    load(store, tmp_path, national)
    assert snapshot(store) == before


def test_a_reimport_keeps_the_first_entry_date_and_replaces_attendees(
    store: Store, tmp_path: Path, national
):
    load(store, tmp_path, national)
    changed = MEETINGS.replace("M1;M2,2026-01-10", "M1,2026-01-09")
    load(store, tmp_path, national, changed)
    combined = next(m for m in store.meetings() if m.date == dt.date(2026, 1, 9))
    assert combined.attendees == ("M1",)
    assert combined.recorded == dt.date(2026, 1, 10)


@pytest.mark.parametrize(
    ("register", "text", "line", "column", "value"),
    [
        ("orgs", ORGS + "B9,孤立支部,党支部,NOPE,,,\n", 5, "上级组织编码", "NOPE"),
        ("orgs", ORGS + "G9,小组,党小组,S,,,\n", 5, "上级组织编码", "S"),
        ("orgs", ORGS + "G8,小组,党小组,,,,\n", 5, "上级组织编码", ""),
        ("members", MEMBERS + "M9,赵六,NOPE,,党员,,,\n", 5, "所在组织编码", "NOPE"),
        ("members", MEMBERS + "M9,赵六,S,,党员,,,\n", 5, "所在组织编码", "S"),
        ("members", MEMBERS + "M9,赵六,B1,B1,党员,,,\n", 5, "所在党小组", "B1"),
        ("meetings", MEETINGS + "NOPE,党课,2026-05-01,,,,,,\n", 5, "组织编码", "NOPE"),
        ("meetings", MEETINGS + "B1,党课,2026-05-01,,,,,M1;M404,\n", 5, "参会人员", "M404"),
        (
            "meetings",
            MEETINGS + "B1,支部党员大会,2026-03-10,3,3,,讨论发展党员,,\n",
            5,
            "日期",
            "2026-03-10",
        ),
        ("meetings", MEETINGS + "B1,茶话会,2026-05-01,,,,,,\n", 5, "会议类型", "茶话会"),
        ("meetings", MEETINGS + "B1,党课,2026-02-30,,,,,,\n", 5, "日期", "2026-02-30"),
        ("meetings", MEETINGS + "B1,党课,2026-05-01,3,5,,,,\n", 5, "实到人数", None),
    ],
)
def test_a_bad_row_rejects_the_whole_file_and_changes_nothing(
    store: Store, tmp_path: Path, national, register, text, line, column, value
):
    load(store, tmp_path, national)
    before = snapshot(store)
    path = write(tmp_path, f"bad-{register}.csv", text)
    with pytest.raises(RegisterError) as caught:
        import_file(store, register, path, national)
    error = caught.value
    assert (error.line, error.column) == (line, column)
    if value is not None:
        assert str(error.value) == value
    assert str(path) in str(error)
    assert snapshot(store) == before


def test_a_parent_chain_that_loops_is_rejected(store: Store, tmp_path: Path):
    store.import_orgs(readers.read_orgs(write(tmp_path, "orgs.csv", ORGS)))
    loop = "组织编码,组织名称,组织类型,上级组织编码\nA,甲,党委,B\nB,乙,党委,A\n"
    with pytest.raises(RegisterError, match="loops"):
        store.import_orgs(readers.read_orgs(write(tmp_path, "loop.csv", loop)))
    assert [o.code for o in store.orgs()] == ["B1", "B1-G1", "S"]


def test_gb18030_and_xlsx_registers_import_alike(store: Store, tmp_path: Path, national):
    store.import_orgs(readers.read_orgs(write(tmp_path, "orgs.csv", ORGS, "gb18030")))
    store.import_members(readers.read_members(write(tmp_path, "members.csv", MEMBERS, "gb18030")))
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["组织编码", "会议类型", "日期", "应到人数", "实到人数", "主题"])
    sheet.append(["B1", "主题党日＋党课", dt.datetime(2026, 1, 9), 3, 3, "学习党章"])
    sheet.append(["B1-G1", "党小组会", dt.datetime(2026, 2, 20), 2.0, 2.0, "学习"])
    path = tmp_path / "meetings.xlsx"
    book.save(path)
    store.import_meetings(readers.read_meetings(path, today=TODAY), national.catalog)
    assert {m.org: m.kinds for m in store.meetings()} == {
        "B1": {"themed_party_day", "party_lesson"},
        "B1-G1": {"group_meeting"},
    }
    assert store.orgs()[0].name == "幸福社区党支部"


def test_the_demo_district_imports(store: Store, national):
    files = demo_files()
    store.import_orgs(readers.read_orgs(files["orgs"]))
    store.import_members(readers.read_members(files["members"]))
    result = store.import_meetings(
        readers.read_meetings(files["meetings"], today=TODAY), national.catalog
    )
    assert result.inserted == result.rows > 300
    assert store.counts()["orgs"] == 25


def test_a_large_file_is_staged_in_chunks_and_merged_whole(store: Store, tmp_path: Path, national):
    store.import_orgs(readers.read_orgs(write(tmp_path, "orgs.csv", ORGS)))
    store.import_members(readers.read_members(write(tmp_path, "members.csv", MEMBERS)))
    day = dt.date(2025, 1, 1)
    lines = ["组织编码,会议类型,日期,主题,参会人员"]
    for i in range(60_500):  # more than one staging chunk, and enough to refresh statistics
        lines.append(f"B1,党课,{day + dt.timedelta(days=i % 600)},第{i}讲,M{1 + i % 3}")
    path = write(tmp_path, "big.csv", "\n".join(lines) + "\n")
    seen: list[int] = []
    result = store.import_meetings(
        readers.read_meetings(path, today=TODAY), national.catalog, progress=seen.append
    )
    assert (result.rows, result.inserted, result.updated) == (60_500, 60_500, 0)
    assert seen == [50_000, 60_500]
    again = store.import_meetings(readers.read_meetings(path, today=TODAY), national.catalog)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 60_500)
    meetings = store.meetings()
    assert len(meetings) == 60_500
    assert {m.attendees for m in meetings} == {("M1",), ("M2",), ("M3",)}


def test_a_party_group_may_be_named_instead_of_coded(store: Store, tmp_path: Path):
    store.import_orgs(readers.read_orgs(write(tmp_path, "orgs.csv", ORGS)))
    by_name = MEMBERS.replace("M1,张三,B1,B1-G1,", "M1,张三,B1,第一党小组,")
    store.import_members(readers.read_members(write(tmp_path, "members.csv", by_name)))
    assert next(m for m in store.members() if m.id == "M1").group == "B1-G1"


def test_attendees_may_be_named_when_the_name_is_unique_in_the_org(
    store: Store, tmp_path: Path, national
):
    load(store, tmp_path, national)
    named = "组织编码,会议类型,日期,参会人员\nB1,主题党日,2026-04-10,张三、M2\n"
    path = write(tmp_path, "named.csv", named)
    store.import_meetings(readers.read_meetings(path, today=TODAY), national.catalog)
    meeting = next(m for m in store.meetings() if m.date == dt.date(2026, 4, 10))
    assert meeting.attendees == ("M1", "M2")


def test_attendee_ids_with_quotes_and_backslashes_are_stored_and_reimported_unchanged(
    store: Store, tmp_path: Path, national
):
    # Attendance lists are staged as JSON text: ids JSON must escape are still stored as written.
    load(store, tmp_path, national)
    extra = (
        MEMBERS
        + '"M""4",赵六,B1,,党员,2020-07-01,正式党员,否\nM\\5,钱七,B1,,党员,2020-07-01,正式党员,否\n'
    )
    store.import_members(readers.read_members(write(tmp_path, "more.csv", extra)))
    listed = '组织编码,会议类型,日期,参会人员\nB1,主题党日,2026-04-10,"M""4;M\\5;张三;M1"\n'
    path = write(tmp_path, "listed.csv", listed)
    first = store.import_meetings(readers.read_meetings(path, today=TODAY), national.catalog)
    again = store.import_meetings(readers.read_meetings(path, today=TODAY), national.catalog)
    meeting = next(m for m in store.meetings() if m.date == dt.date(2026, 4, 10))
    assert set(meeting.attendees) == {"M1", 'M"4', "M\\5"}
    assert len(meeting.attendees) == 3  # 张三 is M1: listed twice, attends once
    assert (first.inserted, again.inserted, again.updated, again.unchanged) == (1, 0, 0, 1)


def test_an_attendee_name_shared_in_the_org_must_be_given_by_id(
    store: Store, tmp_path: Path, national
):
    load(store, tmp_path, national)
    twin = MEMBERS + "M4,张三,B1,,党员,2015-07-01,正式党员,否\n"
    store.import_members(readers.read_members(write(tmp_path, "members.csv", twin)))
    before = snapshot(store)
    path = write(
        tmp_path, "named.csv", "组织编码,会议类型,日期,参会人员\nB1,党课,2026-04-10,张三\n"
    )
    with pytest.raises(RegisterError, match="M1、M4") as caught:
        store.import_meetings(readers.read_meetings(path, today=TODAY), national.catalog)
    assert (caught.value.line, caught.value.column, caught.value.value) == (2, "参会人员", "张三")
    assert snapshot(store) == before


def test_a_subtree_check_inherits_founding_dates_from_above(store: Store, tmp_path: Path, national):
    late = ORGS.replace("S,示范街道党工委,党委,,2001-01-01", "S,示范街道党工委,党委,,2026-03-01")
    late = late.replace("B1,幸福社区党支部,党支部,S,2005-03-01", "B1,幸福社区党支部,党支部,S,")
    late = late.replace("B1-G1,第一党小组,党小组,B1,2005-03-01", "B1-G1,第一党小组,党小组,B1,")
    store.import_orgs(readers.read_orgs(write(tmp_path, "orgs.csv", late)))
    window = Window.for_(dt.date(2026, 4, 30))
    everything = run_check(store, national, as_of=window.as_of)
    subtree = run_check(store, national, as_of=window.as_of, org="B1-G1")
    status = {(f.org, f.rule, f.period.label): f.status for f in everything.findings}
    assert status[("B1-G1", "party_group_meeting", "2026-02")] is Status.EXEMPT
    assert status[("B1-G1", "party_group_meeting", "2026-03")] is Status.MISSED
    assert [f for f in everything.findings if f.org == "B1-G1"] == subtree.findings


def test_a_streamed_file_rolls_back_whole_when_a_late_chunk_is_bad(
    store: Store, tmp_path: Path, national
):
    load(store, tmp_path, national)
    before = snapshot(store)
    lines = ["组织编码,会议类型,日期,主题,参会人员"]
    for i in range(50_010):  # the bad row lands in the second chunk, after one was staged
        lines.append(f"B1,党课,{dt.date(2025, 1, 1) + dt.timedelta(days=i % 600)},第{i}讲,张三")
    lines.append("NOPE,党课,2026-05-01,迟到的一行,")
    path = write(tmp_path, "late.csv", "\n".join(lines) + "\n")
    with (
        readers.stream_meetings(path, today=TODAY) as stream,
        pytest.raises(RegisterError) as caught,
    ):
        store.import_meetings(stream, national.catalog)
    assert (caught.value.line, caught.value.column, caught.value.value) == (
        50_012,
        "组织编码",
        "NOPE",
    )
    assert snapshot(store) == before


def test_a_streamed_file_imports_like_a_parsed_one(store: Store, tmp_path: Path, national):
    load(store, tmp_path, national)
    parsed_view = snapshot(store)
    path = write(tmp_path, "meetings-again.csv", MEETINGS)
    with readers.stream_meetings(path, today=TODAY) as stream:
        result = store.import_meetings(stream, national.catalog)
    assert (result.rows, result.inserted, result.updated, result.unchanged) == (3, 0, 0, 3)
    assert snapshot(store) == parsed_view


def test_an_orgs_party_time_is_stored_and_a_reimport_changes_it(store: Store, tmp_path: Path):
    timed = "组织编码,组织名称,组织类型,上级组织编码,主题党日,主题党日时间\n"
    first = timed + "S,街道党工委,党委,,,\nB1,幸福社区党支部,党支部,S,1FR,14:30—16:30\n"
    store.import_orgs(readers.read_orgs(write(tmp_path, "orgs.csv", first)))
    assert store.org("B1").party_time == (dt.time(14, 30), dt.time(16, 30))
    assert store.org("S").party_time is None
    with store.engine.connect() as conn:
        stored = conn.execute(text("SELECT party_time FROM org WHERE code = 'B1'")).scalar_one()
    assert stored == "14:30-16:30"

    again = timed + "S,街道党工委,党委,,,8:00\nB1,幸福社区党支部,党支部,S,1FR,\n"
    result = store.import_orgs(readers.read_orgs(write(tmp_path, "orgs.csv", again)))
    assert (result.inserted, result.updated) == (0, 2)
    assert {o.code: o.party_time for o in store.orgs()} == {
        "B1": None,
        "S": (dt.time(8, 0), dt.time(10, 0)),
    }


def test_a_database_at_the_first_revision_is_upgraded_keeping_its_orgs(db_url: str):
    engine = make_engine(db_url)
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO org (code, name, type) VALUES ('B1', '支部', 'branch')"))
    engine.dispose()
    with Store.open(db_url) as store:
        assert current_revision(store.engine) == head_revision()
        assert store.orgs() == [Org("B1", "支部", OrgType.BRANCH)]


def test_migrating_to_0007_stamps_old_records_at_the_start_of_their_entry_day(db_url: str):
    from alembic import command
    from sqlalchemy import select, text

    from monitor.store import schema
    from monitor.store.moments import aware
    from monitor.store.tables import MeetingRow

    engine = schema.make_engine(db_url)
    cfg = schema.alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0006")
        conn.execute(
            text("INSERT INTO org (code, name, type) VALUES ('B1', '第一党支部', 'branch')")
        )
        conn.execute(
            text(
                "INSERT INTO meeting (key, org, kinds, day, month, recorded) "
                "VALUES ('k1', 'B1', 1, '2026-03-02', 0, '2026-03-05'), "
                "('k2', 'B1', 1, '2026-03-03', 0, NULL)"
            )
        )
    assert schema.upgrade(engine)
    table = MeetingRow.__table__  # type: ignore[attr-defined]
    with engine.connect() as conn:  # typed columns: SQLite's text is parsed as a datetime
        rows = conn.execute(select(table.c.key, table.c.recorded_at).order_by(table.c.key)).all()
    engine.dispose()
    stamped = {key: aware(at) if at is not None else None for key, at in rows}
    # 00:00 in Beijing on the entry day is 16:00 UTC the day before; no entry date, no stamp.
    assert stamped == {"k1": dt.datetime(2026, 3, 4, 16, tzinfo=dt.UTC), "k2": None}


def test_a_member_may_name_the_party_group_by_its_short_name_within_the_branch(
    store: Store, tmp_path: Path
):
    orgs = tmp_path / "orgs.csv"
    orgs.write_text(
        "组织编码,组织名称,组织类型,上级组织编码\n"
        "W,幸福街道党工委,党委,\n"
        "B1,幸福社区党支部,党支部,W\n"
        "B1-G1,幸福社区第一党小组,党小组,B1\n"
        "B1-G2,幸福社区第二党小组,党小组,B1\n"
        "B2,和平社区党支部,党支部,W\n"
        "B2-G1,和平社区第一党小组,党小组,B2\n",
        encoding="utf-8",
    )
    members = tmp_path / "members.csv"
    members.write_text(
        "党员编号,姓名,所在组织编码,所在党小组\nA1,张三,B1,第一党小组\nA2,李四,B2,第一党小组\n",
        encoding="utf-8",
    )
    store.import_orgs(readers.read_orgs(orgs))
    store.import_members(readers.read_members(members))
    assert {m.id: m.group for m in store.members()} == {"A1": "B1-G1", "A2": "B2-G1"}

    # A short name that ends two groups' names of the branch is ambiguous: refused, named.
    members.write_text(
        "党员编号,姓名,所在组织编码,所在党小组\nA3,王五,B1,党小组\n", encoding="utf-8"
    )
    with pytest.raises(RegisterError) as refused:
        store.import_members(readers.read_members(members))
    assert "党小组" in str(refused.value)
    assert [m.id for m in store.members()] == ["A1", "A2"]
