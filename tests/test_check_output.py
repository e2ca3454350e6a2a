"""`orglife check` at any scale: the JSON as it always was, streamed; the two forms of the table."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path

from click.testing import CliRunner, Result

from monitor.check import run_check
from monitor.cli import main
from monitor.cli.check import JSON_BATCH, MATRIX_ROWS, json_array
from monitor.core.explain import finding_json
from monitor.core.rules import RulePack
from monitor.demo import demo_files
from monitor.store import Store
from tests.conftest import DATA

# Recorded from `finding_json` before issue 14 (`json.dumps(rows, indent=2)` of the demo).
REFERENCE = DATA / "check" / "demo-findings.json.gz"
# Recorded from `orglife check --as-of 2026-11-20` of the demo before issue 14, at 250 columns.
DEMO_TABLE = DATA / "check" / "demo-table.txt"


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def reference() -> list[dict[str, object]]:
    with gzip.open(REFERENCE, "rt", encoding="utf-8") as file:
        cases: list[dict[str, object]] = json.load(file)
    return cases


def test_check_json_keeps_every_key_and_value_of_the_findings(
    demo_store: Store, db_url: str, national: RulePack
):
    cases = reference()
    # The cases cover every status and each wording of an open period (this period, the
    # make-up window, the grace days), so every branch of the reason is compared.
    reasons = " ".join(str(r["reason"]) for c in cases for r in c["findings"])  # type: ignore[attr-defined]
    assert all(part in reasons for part in ("本期截止", "补开期至", "补录宽限期至", "免于考核"))
    for case in cases:
        args = ["--as-of", str(case["as_of"])]
        if case["since"] is not None:
            args += ["--since", str(case["since"])]
        result = run("--db", db_url, "check", "--format", "json", *args)
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout) == case["findings"]
        # The dict of the API and the attribution tests is the same as the text.
        as_of = dt.date.fromisoformat(str(case["as_of"]))
        since = dt.date.fromisoformat(str(case["since"])) if case["since"] else None
        check = run_check(demo_store, national, as_of=as_of, since=since)
        shown = [finding_json(f, national, check.registers.orgs, as_of) for f in check.findings]
        assert shown == case["findings"]


def test_json_array_writes_a_valid_array_across_batches():
    assert json.loads("".join(json_array([]))) == []
    elements = [json.dumps({"n": n}) for n in range(JSON_BATCH * 2 + 1)]
    pieces = list(json_array(elements))
    assert len(pieces) == 4  # three batches and the closing bracket
    assert json.loads("".join(pieces)) == [{"n": n} for n in range(JSON_BATCH * 2 + 1)]


def test_check_table_of_a_small_scope_prints_what_it_always_did(tmp_path: Path):
    db = demo_db(tmp_path)
    result = run("--db", db, "check", "--as-of", "2026-11-20", env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert result.stdout == DEMO_TABLE.read_text(encoding="utf-8")


def test_check_table_of_a_large_scope_sums_up_each_rule_and_keeps_the_misses(tmp_path: Path):
    db = demo_db(tmp_path)
    # 25 branches more, with a committee and no records: the matrix passes MATRIX_ROWS rows.
    orgs = tmp_path / "more-orgs.csv"
    rows = [f"JD01-9{n:02d},第{n}党支部,党支部,JD01,2000-01-01,15,是," for n in range(25)]
    orgs.write_text(
        "组织编码,组织名称,组织类型,上级组织编码,成立日期,主题党日,设支委会,主题党日时间\n"
        + "\n".join(rows)
        + "\n",
        encoding="utf-8",
    )
    assert run("--db", db, "import", "orgs", str(orgs)).exit_code == 0
    findings = json.loads(
        run("--db", db, "check", "--as-of", "2026-11-20", "--format", "json").stdout
    )
    matrix_rows = {(f["org"], f["member"], f["rule"]) for f in findings}
    assert len(matrix_rows) > MATRIX_ROWS

    result = run("--db", db, "check", "--as-of", "2026-11-20", env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "各期情况" not in out  # no matrix
    assert f"矩阵共 {len(matrix_rows)} 行" in out
    assert "--org" in out
    # One row per rule: held, missed, in progress, exempt and the rate, as the findings count.
    by_name: dict[str, list[str]] = {}
    for line in out.splitlines():
        cells = [c.strip() for c in line.split("│")[1:-1]]
        if len(cells) == 6 and cells[1].isdigit():
            by_name[cells[0]] = cells[1:]
    names = {f["rule"]: f["rule_name"] for f in findings}
    assert set(by_name) == set(names.values())
    for rule, name in names.items():
        counts = [
            sum(f["rule"] == rule and f["status"] == s for f in findings)
            for s in ("held", "missed", "open", "exempt")
        ]
        assert by_name[name][:4] == [str(n) for n in counts]
        due = counts[0] + counts[1]
        assert by_name[name][4] == (f"{counts[0] / due:.1%}" if due else "—")
    # The misses stay, one row each, explained, and so does the line of totals.
    assert "未按期开展明细" in out
    misses = [line for line in out.splitlines() if len(line.split("│")) == 7]
    assert len(misses) == sum(f["status"] == "missed" for f in findings)
    assert "出席人数未达应到人数的50%" in out
    assert f"合计 {len(findings)} 项" in out


def demo_db(tmp_path: Path) -> str:
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    for kind in ("orgs", "members", "meetings"):
        result = run("--db", db, "import", kind, str(demo_files()[kind]))
        assert result.exit_code == 0, result.output
    return db
