"""The `orglife` command line, run in-process on real SQLite files (and PostgreSQL once)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from monitor.cli import main
from monitor.demo import demo_files
from monitor.store import Store

CONTRACT_KEYS = {"org", "member", "rule", "period", "status"}


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


@pytest.fixture
def demo_db(db: str) -> str:
    files = demo_files()
    for kind in ("orgs", "members", "meetings"):
        result = run("--db", db, "import", kind, str(files[kind]))
        assert result.exit_code == 0, result.output
    return db


def check_json(db: str, *args: str) -> list[dict[str, object]]:
    result = run("--db", db, "check", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert isinstance(rows, list)
    return rows


def test_import_reports_what_it_stored(db: str):
    result = run("--db", db, "import", "orgs", str(demo_files()["orgs"]))
    assert result.exit_code == 0
    assert "已导入组织 25 条（新增 25，更新 0，未变 0）" in result.output


def test_check_json_has_the_contract_fields_for_every_finding(demo_db: str):
    rows = check_json(demo_db, "--as-of", "2026-11-20")
    assert rows
    assert all(row.keys() >= CONTRACT_KEYS for row in rows)
    assert {row["status"] for row in rows} == {"held", "missed", "open", "exempt"}
    cadre_rows = [r for r in rows if r["member"] is not None]
    assert cadre_rows
    assert all(r["rule"] == "dual_org_life" for r in cadre_rows)
    assert {r["period"] for r in rows} >= {"2026-01", "2026-Q3", "2026"}


def test_check_judges_the_demo_gaps(demo_db: str):
    rows = check_json(demo_db, "--as-of", "2026-11-20")
    status = {(r["org"], r["member"], r["rule"], r["period"]): r["status"] for r in rows}
    # The weak branch skipped its themed Party day in February and its Q3 general meeting.
    assert status[("JD01-06-01", None, "themed_party_day", "2026-02")] == "missed"
    assert status[("JD01-06-01", None, "branch_general_meeting", "2026-Q3")] == "missed"
    # The general meeting with 8 of 20 attending does not count.
    assert status[("JD01-02", None, "branch_general_meeting", "2026-Q2")] == "missed"
    # The branch founded in May is exempt for earlier periods.
    assert status[("JD01-07", None, "themed_party_day", "2026-04")] == "exempt"
    assert status[("JD01-07", None, "branch_general_meeting", "2026-Q2")] == "exempt"
    # A cadre who attended nothing in Q3.
    assert status[("JD01-05", "M0098", "dual_org_life", "2026-Q3")] == "missed"
    # Six full members and no flag: no committee rule for the property company's branch.
    assert not [k for k in status if k[0] == "JD01-04" and k[2] == "branch_committee_meeting"]


def test_check_filters_by_org_subtree_and_since(demo_db: str):
    rows = check_json(demo_db, "--as-of", "2026-11-20", "--org", "JD01-06", "--since", "2026-10-01")
    assert {r["org"] for r in rows} == {
        "JD01-06-01",
        "JD01-06-01-G1",
        "JD01-06-01-G2",
        "JD01-06-02",
        "JD01-06-02-G1",
    }
    assert {r["period"] for r in rows} == {"2026-10", "2026-11", "2026-Q4"}


def test_check_of_a_subtree_judges_its_cadres_like_the_whole_district(demo_db: str):
    # Regression: tallies for a subtree once dropped every cadre's (member id vs org codes).
    whole = check_json(demo_db, "--as-of", "2026-11-20")
    part = check_json(demo_db, "--as-of", "2026-11-20", "--org", "JD01-03")
    cadre = [r for r in part if r["member"] == "M0061"]
    assert [r["status"] for r in cadre] == ["held", "held", "held", "held"]
    assert cadre == [r for r in whole if r["member"] == "M0061"]


def test_check_layers_overlays(demo_db: str, tmp_path: Path):
    overlay = tmp_path / "local.yaml"
    overlay.write_text(
        "pack: local\ntitle: 本地\nrules:\n  - {id: party_lesson, period: half_year}\n",
        encoding="utf-8",
    )
    rows = check_json(demo_db, "--as-of", "2026-11-20", "--rules", str(overlay))
    assert {r["period"] for r in rows if r["rule"] == "party_lesson"} == {"2026-H1", "2026-H2"}


def test_check_table_shows_the_matrix_and_the_misses(demo_db: str):
    result = run("--db", demo_db, "check", "--as-of", "2026-11-20", env={"COLUMNS": "250"})
    assert result.exit_code == 0
    assert "组织生活合规检查" in result.output
    assert "未按期开展明细" in result.output
    assert "出席人数未达应到人数的50%" in result.output


def test_a_bad_import_exits_non_zero_and_names_the_place(demo_db: str, tmp_path: Path):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "组织编码,会议类型,日期\nJD01-01,党课,2026-05-01\nJD01-01,主题党日,2026-13-01\n",
        encoding="utf-8",
    )
    before = check_json(demo_db, "--as-of", "2026-11-20")
    result = run("--db", demo_db, "import", "meetings", str(bad))
    assert result.exit_code != 0
    assert "bad.csv" in result.stderr
    assert "第3行" in result.stderr
    assert "日期" in result.stderr
    assert "2026-13-01" in result.stderr
    assert check_json(demo_db, "--as-of", "2026-11-20") == before


def test_the_database_url_comes_from_the_environment(db: str, tmp_path: Path):
    result = run("import", "orgs", str(demo_files()["orgs"]), env={"ORGLIFE_DATABASE_URL": db})
    assert result.exit_code == 0
    assert Path(db.removeprefix("sqlite:///")).exists()


def test_check_rejects_a_malformed_date(db: str):
    result = CliRunner().invoke(main, ["--db", db, "check", "--as-of", "2026/11/20"])
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.output


def test_rules_check_explains_the_bundled_packs():
    result = run("rules", "check", env={"COLUMNS": "250"})
    assert result.exit_code == 0
    assert "校验通过" in result.output
    assert "书记讲党课" in result.output


def test_rules_check_names_file_rule_and_field(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "pack: bad\ntitle: 坏\nrules:\n  - {id: party_lesson, period: weekly}\n", encoding="utf-8"
    )
    result = run("rules", "check", str(bad))
    assert result.exit_code == 1
    assert "bad.yaml" in result.stderr
    assert "规则“party_lesson”" in result.stderr
    assert "字段“period”" in result.stderr


def test_chats_are_named_by_org_and_role_once(db: str):
    # An org's name often ends in 支部: "幸福社区党支部（支部群）", never "…党支部支部群".
    assert run("--db", db, "import", "orgs", str(demo_files()["orgs"])).exit_code == 0
    added = run(
        "--db", db, "chats", "add", "--org", "JD01-01", "--chat", "-1001", "--role", "branch"
    )
    assert added.exit_code == 0, added.output
    assert "已绑定：群聊 -1001 → JD01-01 幸福社区党支部（支部群）" in added.output
    # stderr's console wraps at the terminal's width: wide enough for the line to stay whole.
    code = run("--db", db, "chats", "code", "JD01-01", "--role", "branch", env={"COLUMNS": "200"})
    assert code.exit_code == 0, code.output
    assert "请在要绑定为“幸福社区党支部（支部群）”的群里发送：/link " in code.stderr
    assert "党支部支部群" not in code.stderr


def test_the_demo_command_prints_the_compliance_table(tmp_path: Path):
    result = run("--db", f"sqlite:///{tmp_path / 'demo.db'}", "demo", "--as-of", "2026-11-20")
    assert result.exit_code == 0, result.output
    assert "幸福社区党支部" in result.output
    assert "落实率" in result.output


@pytest.mark.postgres
def test_check_gives_the_same_answer_on_postgresql(pg_url: str, demo_db: str):
    files = demo_files()
    for kind in ("orgs", "members", "meetings"):
        assert run("--db", pg_url, "import", kind, str(files[kind])).exit_code == 0
    on_postgres = check_json(pg_url, "--as-of", "2026-11-20")
    assert on_postgres == check_json(demo_db, "--as-of", "2026-11-20")


def test_python_dash_m_monitor_runs_the_cli():
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "--help"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    assert result.returncode == 0
    assert "check" in result.stdout


GOOD = "JD01-01,党课,2026-05-02\n"
BAD_FILES = {
    "not-utf8-nor-gb18030.csv": b"\xe7\xbb\x84\xe7\xbb\x87\xe7\xbc\x96\xe7\xa0\x81\n\xff\xfe\xfd\n",
    "missing-column.csv": "组织编码,日期\nJD01-01,2026-05-01\n".encode(),
    "bad-date.csv": ("组织编码,会议类型,日期\n" + GOOD + "JD01-01,党课,2026-02-30\n").encode(),
    "bad-kind.csv": (
        "组织编码,会议类型,日期\n" + GOOD + "JD01-01,主题党日+茶话会,2026-05-01\n"
    ).encode(),
    "bad-count.csv": (
        "组织编码,会议类型,日期,应到人数\n" + GOOD + "JD01-01,党课,2026-05-01,十二\n"
    ).encode(),
    "too-many.csv": (
        "组织编码,会议类型,日期,应到人数,实到人数\n" + GOOD + "JD01-01,党课,2026-05-01,5,6\n"
    ).encode(),
    "unknown-org.csv": ("组织编码,会议类型,日期\n" + GOOD + "JD99,党课,2026-05-01\n").encode(),
    "unknown-attendee.csv": (
        "组织编码,会议类型,日期,参会人员\n" + GOOD + "JD01-01,党课,2026-05-01,X9\n"
    ).encode(),
    "repeated-row.csv": ("组织编码,会议类型,日期\n" + GOOD + GOOD).encode(),
    "meetings.txt": b"whatever\n",
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_every_kind_of_bad_meetings_file_leaves_the_database_unchanged(
    demo_db: str, tmp_path: Path, name: str
):
    # Row errors come after a good row, so a partial import would show.
    path = tmp_path / name
    path.write_bytes(BAD_FILES[name])
    with Store.open(demo_db) as store:
        before = store.meetings()
    result = run("--db", demo_db, "import", "meetings", str(path))
    assert result.exit_code == 1
    assert name in result.stderr
    assert "Traceback" not in result.stderr
    with Store.open(demo_db) as store:
        assert store.meetings() == before


def test_an_unreachable_database_is_one_line_without_the_password():
    result = run(
        "--db", "postgresql://clerk:s3cret@127.0.0.1:1/none", "check", "--as-of", "2026-11-20"
    )
    assert result.exit_code == 1
    assert "无法使用数据库" in result.stderr
    assert "s3cret" not in result.stderr
    assert "Traceback" not in result.stderr
