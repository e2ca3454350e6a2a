"""The record lifecycle on SQLite and PostgreSQL: entry time the system stamps and never moves,
--historical, exact import counts, corrections with an audit trail, org type changes."""

from __future__ import annotations

import datetime as dt
import json
import threading
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from monitor.cli import main
from monitor.core.errors import RegisterError
from monitor.core.rules import RulePack
from monitor.demo import demo_files
from monitor.registers import readers
from monitor.store import Store, records
from monitor.store.audit import AUDIT_TABLE, events
from monitor.store.sql import MEETING_TABLE

AS_OF = "2026-11-20"
T1 = dt.datetime(2026, 11, 5, 2, 0, tzinfo=dt.UTC)
T2 = dt.datetime(2026, 11, 20, 3, 0, tzinfo=dt.UTC)
HEADER = "组织编码,会议类型,日期,应到人数,实到人数,授课人,主题,参会人员,录入日期\n"
# A party group meeting held on 26 September and entered on 5 November: late.
LATE_ROW = "JD01-01-G2,党小组会,2026-09-26,12,10,,补录的党小组会,,{recorded}\n"


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def ok(*args: str) -> Result:
    result = run(*args)
    assert result.exit_code == 0, result.output
    return result


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def demo(demo_store: Store, db_url: str) -> str:
    return db_url


def listed(db: str, *args: str) -> list[dict[str, Any]]:
    rows = json.loads(ok("--db", db, "meetings", "list", "--format", "json", *args).stdout)
    assert isinstance(rows, list)
    return rows


def history(db: str, record_id: int) -> list[dict[str, Any]]:
    trail = json.loads(
        ok("--db", db, "meetings", "history", str(record_id), "--format", "json").stdout
    )
    assert isinstance(trail, list)
    return trail


def late_entries(db: str) -> list[tuple[str, str, str]]:
    result = ok("--db", db, "report", "--format", "json", "--month", "2026-09", "--as-of", AS_OF)
    data = json.loads(result.stdout)
    return [(e["org"], e["date"], e["recorded"]) for e in data["late_entries"]]


def check(db: str) -> dict[tuple[str, str, str], str]:
    result = ok("--db", db, "check", "--format", "json", "--as-of", AS_OF)
    rows = json.loads(result.stdout)
    return {(r["org"], r["rule"], r["period"]): r["status"] for r in rows if r["member"] is None}


def one_line_error(result: Result) -> str:
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    return lines[0]


def dump(store: Store) -> tuple[Any, ...]:
    """Everything an import or a change could touch."""
    with store.engine.connect() as conn:
        audit = conn.execute(select(AUDIT_TABLE.c.id)).all()
        meetings = conn.execute(select(MEETING_TABLE).order_by(MEETING_TABLE.c.id)).all()
    return (store.orgs(), store.members(), meetings, audit, store.revision())


# --------------------------------------------------------------------------- entry time


def test_a_new_record_is_stamped_with_the_import_time_and_keeps_it_on_reimport(
    demo_store: Store, tmp_path: Path, national: RulePack
):
    path = write(tmp_path, "late.csv", HEADER + LATE_ROW.format(recorded="2026-11-05"))
    demo_store.import_meetings(
        readers.read_meetings(path, today=dt.date(2026, 11, 5)), national.catalog, now=T1
    )
    again = write(tmp_path, "again.csv", HEADER + LATE_ROW.format(recorded="2026-09-27"))
    for historical in (False, True):
        result = demo_store.import_meetings(
            readers.read_meetings(again, today=dt.date(2026, 11, 20)),
            national.catalog,
            now=T2,
            historical=historical,
        )
        assert (result.inserted, result.updated, result.unchanged) == (0, 0, 1)
    [record] = [m for m in demo_store.meetings() if m.topic == "补录的党小组会"]
    assert (record.recorded, record.recorded_at) == (dt.date(2026, 11, 5), T1)


def test_the_laundering_attempt_leaves_the_late_flag(demo: str, tmp_path: Path):
    late = ("JD01-01-G2", "2026-09-26", "2026-11-05")
    entered = write(tmp_path, "late.csv", HEADER + LATE_ROW.format(recorded=""))
    ok("--db", demo, "import", "meetings", str(entered), "--today", "2026-11-05")
    assert late in late_entries(demo)
    laundered = write(tmp_path, "laundered.csv", HEADER + LATE_ROW.format(recorded="2026-09-27"))
    ok("--db", demo, "import", "meetings", str(laundered), "--today", "2026-11-20")
    assert late in late_entries(demo)
    ok("--db", demo, "import", "meetings", str(laundered), "--historical", "--today", "2026-11-20")
    assert late in late_entries(demo)


def test_a_historical_import_keeps_the_files_entry_date_for_new_records_and_is_logged(
    demo_store: Store, tmp_path: Path, national: RulePack
):
    path = write(tmp_path, "old.csv", HEADER + LATE_ROW.format(recorded="2026-09-27"))
    demo_store.import_meetings(
        readers.read_meetings(path, today=dt.date(2026, 11, 20), historical=True),
        national.catalog,
        now=T2,
        historical=True,
        actor="cli:clerk",
    )
    [record] = [m for m in demo_store.meetings() if m.topic == "补录的党小组会"]
    assert (record.recorded, record.recorded_at) == (dt.date(2026, 9, 27), T2)
    with demo_store.engine.connect() as conn:
        [logged] = events(conn, "import", "old.csv")
    assert (logged.action, logged.actor, logged.at) == ("historical", "cli:clerk", T2)
    assert logged.changes["new"] == [None, 1]


# --------------------------------------------------------------------------- exact counts


def test_reimporting_the_same_files_changes_nothing_and_keeps_the_revision(db_url: str):
    files = demo_files()
    for kind in ("orgs", "members", "meetings"):
        ok("--db", db_url, "import", kind, str(files[kind]))
    with Store.open(db_url) as store:
        before = dump(store)
    expected = {"orgs": "组织 25 条", "members": "党员 154 条", "meetings": "会议记录 322 条"}
    for kind in ("orgs", "members", "meetings"):
        result = ok("--db", db_url, "import", kind, str(files[kind]))
        n = expected[kind].split()[1]
        assert f"已导入{expected[kind]}（新增 0，更新 0，未变 {n}）" in result.output
    with Store.open(db_url) as store:
        assert dump(store) == before


def test_a_changed_row_is_counted_changed_and_its_change_goes_into_the_trail(
    demo: str, tmp_path: Path
):
    first = write(tmp_path, "late.csv", HEADER + LATE_ROW.format(recorded=""))
    ok("--db", demo, "import", "meetings", str(first), "--today", "2026-11-05")
    [record] = [r for r in listed(demo, "--org", "JD01-01-G2") if r["topic"] == "补录的党小组会"]
    fixed = LATE_ROW.format(recorded="").replace(",12,10,", ",12,11,")
    result = ok("--db", demo, "import", "meetings", str(write(tmp_path, "f.csv", HEADER + fixed)))
    assert "（新增 0，更新 1，未变 0）" in result.output
    trail = history(demo, record["id"])
    assert [e["action"] for e in trail] == ["created", "edited"]
    assert trail[1]["changes"] == {"attended": [10, 11]}


def test_two_concurrent_postgresql_imports_of_one_file_insert_each_row_once(
    pg_url: str, national: RulePack
):
    files = demo_files()
    with Store.open(pg_url) as store:
        store.import_orgs(readers.read_orgs(files["orgs"]))
        store.import_members(readers.read_members(files["members"]))
    results: list[Any] = []

    def load() -> None:
        with Store.open(pg_url) as store:
            parsed = readers.read_meetings(files["meetings"], today=dt.date(2026, 11, 20))
            results.append(store.import_meetings(parsed, national.catalog, now=T1))

    threads = [threading.Thread(target=load) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.inserted for r in results) == [0, 322]
    assert sorted(r.unchanged for r in results) == [0, 322]
    with Store.open(pg_url) as store:
        assert store.counts()["meetings"] == 322


def test_a_row_with_a_corrected_date_adds_a_record_and_is_named_as_a_possible_duplicate(
    demo: str, tmp_path: Path
):
    first = write(tmp_path, "late.csv", HEADER + LATE_ROW.format(recorded=""))
    ok("--db", demo, "import", "meetings", str(first), "--today", "2026-11-05")
    before = {r["id"] for r in listed(demo, "--org", "JD01-01-G2")}
    corrected = LATE_ROW.format(recorded="").replace("2026-09-26", "2026-09-25")
    path = write(tmp_path, "corrected.csv", HEADER + "\n" * 10 + corrected)
    result = ok("--db", demo, "import", "meetings", str(path), "--today", "2026-11-20")
    assert "（新增 1，更新 0，未变 0）" in result.output
    # The group's September already has records of its kind; the earliest is named.
    september = [
        r
        for r in listed(demo, "--org", "JD01-01-G2", "--from", "2026-09-01", "--to", "2026-09-30")
        if r["id"] in before
    ]
    first_id = min(r["id"] for r in september)
    assert f"第12行可能与记录 #{first_id} 重复；更正请用 orglife meetings edit" in result.output


# --------------------------------------------------------------------------- meetings list


def test_meetings_list_has_the_contract_fields_and_filters_by_subtree_and_dates(demo: str):
    everything = listed(demo)
    assert len(everything) == 322
    keys = {
        "id",
        "org",
        "kinds",
        "date",
        "expected",
        "attended",
        "lecturer",
        "topic",
        "attendees",
        "recorded_at",
        "for_period",
        "deleted",
        "recorded",
    }
    assert all(set(r) == keys for r in everything)
    assert all(dt.datetime.fromisoformat(r["recorded_at"]).tzinfo for r in everything)
    branch = listed(demo, "--org", "JD01-01")
    assert {r["org"] for r in branch} == {"JD01-01", "JD01-01-G1", "JD01-01-G2", "JD01-01-G3"}
    autumn = listed(demo, "--from", "2026-09-01", "--to", "2026-09-30")
    assert autumn
    assert all("2026-09-01" <= r["date"] <= "2026-09-30" for r in autumn)
    assert {r["deleted"] for r in everything} == {False}


# --------------------------------------------------------------------------- corrections


def _party_lesson(db: str) -> dict[str, Any]:
    """A September party lesson of the demo (the only record of its branch's quarter)."""
    lessons = [
        r
        for r in listed(db, "--from", "2026-07-01", "--to", "2026-09-30")
        if r["kinds"] == ["party_lesson"]
    ]
    by_org: dict[str, list[dict[str, Any]]] = {}
    for r in lessons:
        by_org.setdefault(r["org"], []).append(r)
    return next(rs[0] for rs in by_org.values() if len(rs) == 1)


def test_edit_changes_the_record_keeps_its_entry_time_and_leaves_a_trail(demo: str):
    record = _party_lesson(demo)
    key = (record["org"], "party_lesson", "2026-Q3")
    assert check(demo)[key] == "held"
    result = ok(
        "--db",
        demo,
        "meetings",
        "edit",
        str(record["id"]),
        "--date",
        "2026-10-09",
        "--topic",
        "更正后的主题",
        "--reason",
        "日期录错",
        "--by",
        "王书记",
        "--today",
        AS_OF,
    )
    assert f"已修改记录 #{record['id']}" in result.output
    [after] = [r for r in listed(demo) if r["id"] == record["id"]]
    assert (after["date"], after["topic"]) == ("2026-10-09", "更正后的主题")
    assert (after["recorded_at"], after["recorded"]) == (record["recorded_at"], record["recorded"])
    assert check(demo)[key] == "missed"
    [created, edited] = history(demo, record["id"])
    assert created["action"] == "created"
    assert (edited["action"], edited["by"], edited["reason"]) == ("edited", "王书记", "日期录错")
    assert edited["changes"]["date"] == [record["date"], "2026-10-09"]
    assert edited["changes"]["topic"] == [record["topic"], "更正后的主题"]


def test_delete_hides_a_record_from_the_registers_and_restore_brings_it_back(
    demo: str, demo_store: Store
):
    record = _party_lesson(demo)
    revision = demo_store.revision()
    ok("--db", demo, "meetings", "delete", str(record["id"]), "--reason", "重复录入")
    assert demo_store.revision() == revision + 1
    assert record["id"] not in {r["id"] for r in listed(demo)}
    assert record["id"] not in {m.id for m in demo_store.meetings()}
    assert demo_store.counts()["meetings"] == 321
    [deleted] = [r for r in listed(demo, "--deleted") if r["id"] == record["id"]]
    assert deleted["deleted"] is True
    ok("--db", demo, "meetings", "restore", str(record["id"]), "--reason", "误删")
    assert record["id"] in {m.id for m in demo_store.meetings()}
    trail = history(demo, record["id"])
    assert [e["action"] for e in trail] == ["created", "deleted", "restored"]
    assert trail[1]["by"].startswith("cli:")
    assert trail[1]["reason"] == "重复录入"


def test_a_deleted_record_stops_counting_in_the_findings(demo: str):
    record = _party_lesson(demo)
    key = (record["org"], "party_lesson", "2026-Q3")
    assert check(demo)[key] == "held"
    ok("--db", demo, "meetings", "delete", str(record["id"]), "--reason", "重复录入")
    assert check(demo)[key] == "missed"
    ok("--db", demo, "meetings", "restore", str(record["id"]), "--reason", "误删")
    assert check(demo)[key] == "held"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--attended", "999"), "实到人数"),
        (("--attendees", "M9999"), "M9999"),
        (("--kind", "不存在的会"), "不存在的会"),
        (("--date", "2026-02-30"), "2026-02-30"),
        (("--for-period", "2027-Q1"), "所属期间"),
        (("--for-period", "第五季度"), "所属期间"),
    ],
)
def test_a_bad_edit_is_one_line_and_changes_nothing(
    demo: str, demo_store: Store, args: tuple[str, ...], words: str
):
    record = _party_lesson(demo)
    before = dump(demo_store)
    result = run(
        "--db",
        demo,
        "meetings",
        "edit",
        str(record["id"]),
        *args,
        "--reason",
        "x",
        "--today",
        AS_OF,
    )
    line = one_line_error(result)
    assert words in line
    assert f"记录 #{record['id']}" in line
    assert dump(demo_store) == before


@pytest.mark.parametrize(
    "args",
    [
        ("edit", "{id}", "--topic", "新主题"),  # no reason
        ("delete", "{id}", "--reason", " "),
        ("delete", "999999", "--reason", "x"),
        ("restore", "{id}", "--reason", "x"),  # not deleted
        ("history", "999999"),
    ],
)
def test_a_refused_change_is_one_chinese_line_and_changes_nothing(
    demo: str, demo_store: Store, args: tuple[str, ...]
):
    record = _party_lesson(demo)
    before = dump(demo_store)
    line = one_line_error(run("--db", demo, "meetings", *(a.format(id=record["id"]) for a in args)))
    assert any("\u4e00" <= ch <= "\u9fff" for ch in line)
    assert dump(demo_store) == before


def test_an_edit_that_would_repeat_another_record_is_refused(demo: str, demo_store: Store):
    one, other = listed(demo, "--org", "JD01-01-G1")[:2]
    before = dump(demo_store)
    args = ["--date", other["date"], "--topic", other["topic"] or "", "--reason", "x"]
    for kind in other["kinds"]:
        args += ["--kind", kind]
    if other["lecturer"]:
        args += ["--lecturer", other["lecturer"]]
    line = one_line_error(
        run(
            "--db",
            demo,
            "meetings",
            "edit",
            str(one["id"]),
            *args,
            "--reason",
            "x",
            "--today",
            AS_OF,
        )
    )
    assert f"记录 #{other['id']}" in line
    assert dump(demo_store) == before


def test_edit_through_the_store_checks_like_an_import(demo_store: Store, national: RulePack):
    [record] = [m for m in demo_store.meetings() if m.id == 1]
    with pytest.raises(RegisterError) as caught:
        records.edit_record(
            demo_store,
            1,
            records.Edit(attendees="无此人"),
            catalog=national.catalog,
            today=dt.date(2026, 11, 20),
            now=T2,
            actor="test",
            reason="x",
        )
    assert (caught.value.column, caught.value.value, caught.value.line) == (
        "参会人员",
        "无此人",
        None,
    )
    assert [m for m in demo_store.meetings() if m.id == 1] == [record]


# --------------------------------------------------------------------------- orgs and members


ORGS_HEADER = "组织编码,组织名称,组织类型,上级组织编码,成立日期,主题党日,设支委会,主题党日时间\n"


@pytest.mark.parametrize(
    ("row", "words"),
    [
        ("JD01-01,幸福社区党支部,党委,JD01,1998-06-18,15,,", "名党员"),
        ("JD01-01,幸福社区党支部,党小组,JD01-02,1998-06-18,15,,", "名党员"),
        ("JD01-01-G1,幸福社区党支部第一网格党小组,党支部,JD01,1998-06-18,,,", "党小组成员"),
        ("JD01,幸福街道党工委,党支部,,2008-07-01,,,", "下级组织"),
    ],
)
def test_an_org_type_change_that_would_strand_members_or_children_is_refused(
    demo: str, demo_store: Store, tmp_path: Path, row: str, words: str
):
    before = dump(demo_store)
    path = write(tmp_path, "orgs.csv", ORGS_HEADER + row + "\n")
    line = one_line_error(run("--db", demo, "import", "orgs", str(path)))
    assert "line 2" in line or "第2行" in line
    assert words in line
    assert dump(demo_store) == before


def test_an_org_type_change_that_keeps_everything_valid_is_taken(
    demo: str, demo_store: Store, tmp_path: Path
):
    # A branch without members or groups may become a 党总支.
    add = write(tmp_path, "add.csv", ORGS_HEADER + "JD01-99,新建支部,党支部,JD01,2026-01-01,,,\n")
    ok("--db", demo, "import", "orgs", str(add))
    change = write(tmp_path, "c.csv", ORGS_HEADER + "JD01-99,新建总支,党总支,JD01,2026-01-01,,,\n")
    result = ok("--db", demo, "import", "orgs", str(change))
    assert "（新增 0，更新 1，未变 0）" in result.output
    with demo_store.engine.connect() as conn:
        trail = events(conn, "org", "JD01-99")
    assert [e.action for e in trail] == ["created", "edited"]
    assert trail[1].changes == {
        "name": ["新建支部", "新建总支"],
        "type": ["branch", "general_branch"],
    }


def test_a_members_change_goes_into_the_audit_trail(demo: str, demo_store: Store, tmp_path: Path):
    header = "党员编号,姓名,所在组织编码,所在党小组,职务,入党日期,党员类型,领导干部\n"
    row = "M0002,吕春生,JD01-01,JD01-01-G1,书记,1981-09-30,正式党员,否\n"
    result = ok("--db", demo, "import", "members", str(write(tmp_path, "m.csv", header + row)))
    assert "（新增 0，更新 1，未变 0）" in result.output
    with demo_store.engine.connect() as conn:
        [edited] = events(conn, "member", "M0002")
    assert edited.changes == {"role": ["deputy_secretary", "secretary"]}


def test_reimporting_a_deleted_record_leaves_it_deleted(demo: str, tmp_path: Path):
    path = write(tmp_path, "late.csv", HEADER + LATE_ROW.format(recorded=""))
    ok("--db", demo, "import", "meetings", str(path), "--today", "2026-11-05")
    [record] = [r for r in listed(demo, "--org", "JD01-01-G2") if r["topic"] == "补录的党小组会"]
    ok("--db", demo, "meetings", "delete", str(record["id"]), "--reason", "不该录入")
    result = ok("--db", demo, "import", "meetings", str(path), "--today", "2026-11-20")
    assert "（新增 0，更新 0，未变 1）" in result.output
    assert record["id"] not in {r["id"] for r in listed(demo)}
    assert [e["action"] for e in history(demo, record["id"])] == ["created", "deleted"]


def test_the_store_shows_the_trail_of_any_entity(demo_store: Store, tmp_path: Path):
    header = "党员编号,姓名,所在组织编码,所在党小组,职务,入党日期,党员类型,领导干部\n"
    path = write(tmp_path, "m.csv", header + "M9001,新党员,JD01-01,,党员,2026-07-01,预备党员,否\n")
    demo_store.import_members(readers.read_members(path), now=T2, actor="cli:clerk")
    [created] = demo_store.events("member", "M9001")
    assert (created.action, created.actor, created.at, created.reason) == (
        "created",
        "cli:clerk",
        T2,
        "m.csv",
    )


def test_edit_sets_the_kinds_and_the_period_a_record_counts_for(demo: str):
    record = _party_lesson(demo)
    month = record["date"][:7]
    ok(
        "--db", demo, "meetings", "edit", str(record["id"]), "--kind", "主题党日", "--kind",
        "党课", "--for-period", month, "--reason", "合并召开", "--today", AS_OF,
    )  # fmt: skip
    [after] = [r for r in listed(demo) if r["id"] == record["id"]]
    assert (after["kinds"], after["for_period"]) == (["party_lesson", "themed_party_day"], month)
    edited = history(demo, record["id"])[-1]["changes"]
    assert edited["kinds"] == [["party_lesson"], ["party_lesson", "themed_party_day"]]
    assert edited["for_period"] == [None, month]


def test_a_historical_import_says_so(demo: str, tmp_path: Path):
    path = write(tmp_path, "old.csv", HEADER + LATE_ROW.format(recorded="2026-09-27"))
    result = ok("--db", demo, "import", "meetings", str(path), "--historical", "--today", AS_OF)
    assert "按历史台账导入：1 条新记录采用文件中的录入日期" in result.output
    [record] = [r for r in listed(demo, "--org", "JD01-01-G2") if r["topic"] == "补录的党小组会"]
    assert record["recorded"] == "2026-09-27"


def test_a_corrected_date_in_another_month_of_the_same_quarter_is_named_too(
    db_url: str, tmp_path: Path
):
    orgs = write(
        tmp_path,
        "orgs.csv",
        "组织编码,组织名称,组织类型,上级组织编码\nW,幸福街道党工委,党委,\nB1,幸福社区党支部,党支部,W\n",
    )
    ok("--db", db_url, "import", "orgs", str(orgs))
    head = "组织编码,会议类型,日期,应到人数,实到人数,主题\n"
    first = write(
        tmp_path,
        "first.csv",
        head + "B1,支部党员大会,2026-08-20,30,25,学习\nB1,支部委员会会议,2026-08-21,5,5,部署\n",
    )
    ok("--db", db_url, "import", "meetings", str(first), "--today", "2026-11-20")
    records = {r["kinds"][0]: r["id"] for r in listed(db_url)}
    corrected = write(
        tmp_path,
        "corrected.csv",
        head
        # The quarterly general meeting moved to July: same quarter, so possibly the same one.
        + "B1,支部党员大会,2026-07-20,30,25,学习\n"
        # The monthly committee meeting in July is another month's: not a duplicate.
        + "B1,支部委员会会议,2026-07-21,5,5,部署\n",
    )
    result = ok("--db", db_url, "import", "meetings", str(corrected), "--today", "2026-11-20")
    general = records["general_meeting"]
    assert f"第2行可能与记录 #{general} 重复；更正请用 orglife meetings edit" in result.output
    assert "第3行可能与记录" not in result.output
