"""`orglife report` on the demo district, on SQLite and PostgreSQL: the JSON contract against
`orglife check`, the Telegram message, the HTML page and the XLSX workbook cell by cell."""

from __future__ import annotations

import datetime as dt
import io
import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook

from monitor.check import run_check, update_ledger
from monitor.cli import main
from monitor.core.rules import RulePack
from monitor.ledger.store import LedgerStore
from monitor.reporting.build import monthly_summary
from monitor.reporting.md import message_length
from monitor.store import Store

CONTRACT = ("org", "member", "rule", "period", "status")
AS_OF = "2026-11-20"
URL = "https://example.org/reports/JD01-2026-09.html"


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def demo(demo_store: Store, db_url: str) -> str:
    return db_url


def report(db: str, *args: str) -> Result:
    result = run("--db", db, "report", *args)
    assert result.exit_code == 0, result.output
    return result


def report_json(db: str, *args: str) -> dict[str, Any]:
    data = json.loads(report(db, "--format", "json", *args).stdout)
    assert isinstance(data, dict)
    return data


def check_rows(db: str, *args: str) -> list[dict[str, Any]]:
    result = run("--db", db, "check", "--format", "json", "--as-of", AS_OF, *args)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert isinstance(rows, list)
    return rows


def test_json_rows_are_checks_findings_ending_in_the_month(demo: str):
    data = report_json(demo, "--month", "2026-09", "--org", "JD01", "--as-of", AS_OF)
    assert data["month"] == "2026-09"
    assert data["org"] == "JD01"
    expected = [r for r in check_rows(demo) if r["period_end"].startswith("2026-09")]
    assert [tuple(r[k] for k in CONTRACT) for r in data["rows"]] == [
        tuple(r[k] for k in CONTRACT) for r in expected
    ]
    # Monthly and quarterly periods end in September; no yearly one does.
    assert {r["period"] for r in data["rows"]} == {"2026-09", "2026-Q3"}
    held = sum(r["status"] == "held" for r in expected)
    missed = sum(r["status"] == "missed" for r in expected)
    totals = data["totals"]
    assert (totals["required"], totals["held"], totals["missed"]) == (held + missed, held, missed)
    assert totals["rate"] == round(held / (held + missed), 4)
    assert (held, missed) == (42, 6)
    assert all(isinstance(r["late_entry"], bool) for r in data["rows"])
    # The only September record entered after its grace: a party group meeting of 21 September
    # entered on 30 October, the only record of that group's September.
    late = [(r["org"], r["rule"], r["period"]) for r in data["rows"] if r["late_entry"]]
    assert late == [("JD01-01-G2", "party_group_meeting", "2026-09")]
    [entry] = data["late_entries"]
    assert (entry["org"], entry["date"], entry["recorded"], entry["days_late"]) == (
        "JD01-01-G2",
        "2026-09-21",
        "2026-10-30",
        39,
    )
    # The weakest branch and the bottom tenth (ceil(10% of 8) = 1).
    ranked = [b for b in data["branches"] if b["rank"] is not None]
    assert len(ranked) == 8
    assert data["weak_cut"] == 1
    assert [b["org"] for b in data["weak"]] == ["JD01-06-01"]
    assert ranked[-1]["org"] == "JD01-06-01"
    assert [p["month"] for p in data["trend"]] == [f"2026-{m:02d}" for m in range(4, 10)]
    assert data["trend"][-1]["required"] == totals["required"]


def test_json_of_a_subtree_and_by_default_of_the_root(demo: str):
    whole = report_json(demo, "--month", "2026-10", "--as-of", AS_OF)
    assert whole["org"] == "JD01"
    assert whole == report_json(demo, "--month", "2026-10", "--org", "JD01", "--as-of", AS_OF)
    part = report_json(demo, "--month", "2026-10", "--org", "JD01-06", "--as-of", AS_OF)
    assert {r["org"] for r in part["rows"]} == {
        "JD01-06-01",
        "JD01-06-01-G1",
        "JD01-06-01-G2",
        "JD01-06-02",
        "JD01-06-02-G1",
    }
    assert [b["org"] for b in part["branches"] if b["rank"]] == ["JD01-06-02", "JD01-06-01"]
    expected = [
        r for r in check_rows(demo, "--org", "JD01-06") if r["period_end"].startswith("2026-10")
    ]
    assert [tuple(r[k] for k in CONTRACT) for r in part["rows"]] == [
        tuple(r[k] for k in CONTRACT) for r in expected
    ]


def test_the_ledger_figures_come_from_the_subtrees_items(demo: str, national: RulePack):
    with Store.open(demo) as store:
        check = run_check(store, national, as_of=dt.date(2026, 10, 10), org="JD01-06")
        now = dt.datetime(2026, 10, 10, 2, tzinfo=dt.UTC)
        update_ledger(store, national, check, today=dt.date(2026, 10, 10), now=now)
        items = LedgerStore(store).items()
        assert items
        first, second = items[0].id, items[1].id
        later = dt.datetime(2026, 10, 20, 2, tzinfo=dt.UTC)
        LedgerStore(store).rectify(first, "已于10月18日补开", by="书记", now=later)
        LedgerStore(store).clear(first, by="组织委员", today=dt.date(2026, 10, 20), now=later)
        LedgerStore(store).rectify(second, "已补录会议记录", by="书记", now=later)
    october = report_json(demo, "--month", "2026-10", "--as-of", AS_OF)["ledger"]
    # Every item was opened on 10 October with a deadline of 9 November: on 20 November the
    # ones neither cleared nor being rectified are overdue.
    n = len(items)
    assert (october["opened"], october["cleared"], october["total"]) == (n, 1, n)
    assert (october["outstanding"], october["overdue"]) == (n - 1, n - 2)
    assert october["clearance_rate"] == round(1 / n, 4)
    assert len(october["items"]) == n
    elsewhere = report_json(demo, "--month", "2026-10", "--org", "JD01-01", "--as-of", AS_OF)
    assert elsewhere["ledger"]["total"] == 0


def test_md_is_one_telegram_message_with_the_headlines(demo: str):
    text = report(
        demo, "--month", "2026-09", "--as-of", AS_OF, "--format", "md", "--url", URL
    ).stdout
    assert message_length(text) <= 4096
    assert text.startswith("幸福街道党工委2026年9月组织生活检查通报")
    assert "应开展48项，已落实42项，未按期开展6项，落实率87.5%" in text
    assert "软弱涣散排查对象" in text
    assert "众创园区联合党支部" in text
    assert "记录1条" in text
    assert "问题台账" in text
    assert text.rstrip().endswith(URL)


def test_md_on_the_first_workday_says_which_results_await_the_grace(demo: str):
    # November 2: October's periods ended, their grace runs to November 5.
    early = report(demo, "--month", "2026-10", "--as-of", "2026-11-02", "--format", "md").stdout
    rows = report_json(demo, "--month", "2026-10", "--as-of", "2026-11-02")["rows"]
    pending = [r for r in rows if r["status"] == "open"]
    assert pending
    assert f"其中{len(pending)}项期次已结束、尚在补录宽限期内" in early
    # After the grace nothing is pending any more, and the line goes.
    late = report(demo, "--month", "2026-10", "--as-of", "2026-11-24", "--format", "md").stdout
    assert "尚在补录宽限期内" not in late


class _Tree(HTMLParser):
    """Checks that every element is closed in order; collects texts by enclosing tag."""

    VOID = frozenset({"meta", "br", "hr", "img", "input", "link"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.counts: dict[str, int] = {}
        self.texts: dict[str, list[str]] = {}
        self.rows: list[list[str]] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.counts[tag] = self.counts.get(tag, 0) + 1
        if tag == "tr":
            self.rows.append([])
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.counts[tag] = self.counts.get(tag, 0) + 1

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self.stack and data.strip():
            self.texts.setdefault(self.stack[-1], []).append(data.strip())
            if self.stack[-1] in ("td", "th") and self.rows:
                self.rows[-1].append(data.strip())


def test_html_is_a_wellformed_page_with_charts_and_tables(demo: str):
    page = report(demo, "--month", "2026-09", "--as-of", AS_OF, "--format", "html").stdout
    assert page.startswith("<!DOCTYPE html>")
    tree = _Tree()
    tree.feed(page)
    tree.close()
    assert tree.errors == []
    assert tree.stack == []
    assert "http" not in page.replace("http://www.w3.org/2000/svg", "")  # no external assets
    assert "@media print" in page
    assert tree.counts["svg"] == 2
    svg_texts = tree.texts["text"]
    assert "9月" in svg_texts
    assert "众创园区联合党支部" in svg_texts
    assert "87.5%" in svg_texts
    data = report_json(demo, "--month", "2026-09", "--as-of", AS_OF)
    branch_rows = [r for r in tree.rows if r and r[0] in {str(b["rank"]) for b in data["branches"]}]
    assert len(branch_rows) == len(data["branches"]) == 8
    assert any(r[1] == "众创园区联合党支部（JD01-06-01）" and r[-1] == "是" for r in branch_rows)
    misses = [r for r in data["rows"] if r["status"] == "missed"]
    reasons = {r["reason"] for r in misses}
    assert len([r for r in tree.rows if r and r[-1] in reasons]) == len(misses) == 6
    assert "幸福街道党工委2026年9月组织生活检查通报" in tree.texts["h1"]


def test_xlsx_has_the_four_sheets_cell_by_cell(demo: str, tmp_path: Path):
    path = tmp_path / "通报.xlsx"
    result = report(
        demo, "--month", "2026-09", "--as-of", AS_OF, "--format", "xlsx", "-o", str(path)
    )
    assert str(path) in result.stdout
    data = report_json(demo, "--month", "2026-09", "--as-of", AS_OF)
    book = load_workbook(path)
    assert book.sheetnames == ["汇总", "明细", "问题台账", "后补记录"]

    summary = book["汇总"]
    assert summary["A1"].value == "幸福街道党工委2026年9月组织生活检查通报"
    assert [c.value for c in summary[3][:4]] == ["应开展", "已落实", "未按期开展", "落实率"]
    totals = data["totals"]
    assert [c.value for c in summary[4][:4]] == [
        totals["required"],
        totals["held"],
        totals["missed"],
        pytest.approx(totals["rate"], abs=5e-5),
    ]
    assert summary["D4"].number_format == "0.0%"
    assert summary["G4"].value == len(data["late_entries"]) == 1
    assert summary["H4"].value == len(data["weak"]) == 1
    assert summary["A5"].value == "近6个月"
    assert summary["G5"].value == "2026年9月"
    assert summary["G6"].value == totals["required"]
    assert [c.value for c in summary[8]] == [
        "排名",
        "组织编码",
        "支部名称",
        "上级组织",
        "应开展",
        "已落实",
        "未按期开展",
        "进行中",
        "免于考核",
        "落实率",
        "后补记录",
        "软弱涣散排查对象",
    ]
    assert summary.freeze_panes == "A9"
    assert summary.auto_filter.ref == "A8:L16"
    assert summary.column_dimensions["C"].width == 32
    last = [c.value for c in summary[16]]
    assert last[1:3] == ["JD01-06-01", "众创园区联合党支部"]
    assert last[-1] == "是"
    assert sum(summary.cell(row=r, column=7).value for r in range(9, 17)) == sum(
        b["missed"] for b in data["branches"]
    )

    detail = book["明细"]
    assert detail.freeze_panes == "A2"
    assert detail.auto_filter.ref == f"A1:L{len(data['rows']) + 1}"
    assert detail["A1"].value == "组织编码"
    assert detail["J1"].value == "状态"
    cells = [[c.value for c in row] for row in detail.iter_rows(min_row=2)]
    assert len(cells) == len(data["rows"])
    assert [(r[0], r[3], r[5], r[7]) for r in cells] == [
        (r["org"], r["member"], r["rule"], r["period"]) for r in data["rows"]
    ]
    late_row = next(r for r in cells if r[0] == "JD01-01-G2")
    assert late_row[1:3] == ["幸福社区党支部第二网格党小组", "JD01-01"]
    assert late_row[6:11] == ["党小组会", "2026-09", "2026年9月", "已落实", "是"]
    assert sum(r[9] == "未按期开展" for r in cells) == totals["missed"]

    late = book["后补记录"]
    assert [c.value for c in late[1]] == [
        "记录编号",
        "组织编码",
        "组织名称",
        "所属支部",
        "会议日期",
        "录入日期",
        "迟录天数",
        "计入事项",
    ]
    assert late.freeze_panes == "A2"
    assert late.auto_filter.ref == "A1:H2"
    row = [c.value for c in late[2]]
    assert row[1:4] == ["JD01-01-G2", "幸福社区党支部第二网格党小组", "JD01-01"]
    assert row[4:7] == [dt.datetime(2026, 9, 21), dt.datetime(2026, 10, 30), 39]
    assert row[7] == "党小组会 2026年9月"

    ledger = book["问题台账"]
    assert ledger["A1"].value == "编号"
    assert ledger.freeze_panes == "A2"
    assert ledger.max_row == 1  # no ledger items in the demo registers


def test_xlsx_lists_ledger_items_in_the_same_columns_as_the_ledger_export(
    demo: str, national: RulePack, tmp_path: Path
):
    from monitor.ledger.export import LEDGER_COLUMNS

    with Store.open(demo) as store:
        check = run_check(store, national, as_of=dt.date(2026, 10, 10), org="JD01-06-01")
        now = dt.datetime(2026, 10, 10, 2, tzinfo=dt.UTC)
        update_ledger(store, national, check, today=dt.date(2026, 10, 10), now=now)
        items = LedgerStore(store).items()
    path = tmp_path / "r.xlsx"
    report(demo, "--month", "2026-10", "--as-of", AS_OF, "--format", "xlsx", "-o", str(path))
    sheet = load_workbook(path)["问题台账"]
    assert [c.value for c in sheet[1]] == [name for name, _ in LEDGER_COLUMNS]
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, len(LEDGER_COLUMNS)).column_letter}" + str(
        len(items) + 1
    )
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=2)]
    assert sorted(r[0] for r in rows) == sorted(i.id for i in items)
    assert {r[1] for r in rows} == {"JD01-06-01", "JD01-06-01-G1", "JD01-06-01-G2"}


def test_the_service_gets_the_message_and_the_workbook(demo: str, national: RulePack):
    with Store.open(demo) as store:
        rendered = monthly_summary(
            store, national, org="JD01-06", month="2026-09", as_of=dt.date(2026, 10, 8), url=URL
        )
    assert rendered is not None
    text, workbook, filename = rendered
    assert text.startswith("幸福街道社会组织党总支2026年9月组织生活检查通报")
    assert text.rstrip().endswith(URL)
    assert filename == "JD01-06-2026-09-月度检查通报.xlsx"
    assert load_workbook(io.BytesIO(workbook)).sheetnames == [
        "汇总",
        "明细",
        "问题台账",
        "后补记录",
    ]


def test_report_errors_are_one_clear_line(demo: str, tmp_path: Path):
    result = run("--db", demo, "report", "--month", "2026-09", "--format", "xlsx")
    assert result.exit_code == 2
    assert "xlsx 格式须用 -o 指定输出文件" in result.output
    result = run("--db", demo, "report", "--month", "2026-9x", "--as-of", AS_OF)
    assert result.exit_code == 1
    assert "YYYY-MM" in result.output
    result = run("--db", demo, "report", "--month", "2026-12", "--as-of", AS_OF)
    assert result.exit_code == 1
    assert "早于" in result.output
    result = run("--db", demo, "report", "--month", "2026-09", "--org", "NOPE", "--as-of", AS_OF)
    assert result.exit_code == 1
    assert "NOPE" in result.output
    # A file instead of stdout.
    out = tmp_path / "r.md"
    text = report(demo, "--month", "2026-09", "--as-of", AS_OF, "-o", str(out)).stdout
    assert "已生成" in text
    assert out.read_text(encoding="utf-8").startswith("幸福街道党工委2026年9月")


def test_the_word_report_is_an_official_notice_whose_figures_match_the_json(
    demo: str, tmp_path: Path
):
    from docx import Document

    path = tmp_path / "通报.docx"
    result = run(
        "--db", demo, "report", "--month", "2026-09", "--org", "JD01", "--as-of", AS_OF,
        "--format", "docx", "-o", str(path),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(
        run(
            "--db", demo, "report", "--month", "2026-09", "--org", "JD01", "--as-of", AS_OF,
            "--format", "json",
        ).stdout
    )  # fmt: skip
    document = Document(str(path))
    text = "\n".join(p.text for p in document.paragraphs)
    totals = data["totals"]
    assert text.splitlines()[0] == "幸福街道党工委2026年9月组织生活检查通报"
    headings = [
        line
        for line in text.splitlines()
        if line[:2] in {"一、", "二、", "三、", "四、", "五、", "六、"}
    ]
    assert [h[:2] for h in headings] == ["一、", "二、", "三、", "四、", "五、", "六、"]
    rate = f"{totals['rate'] * 100:.1f}%"
    assert (
        f"本月应开展{totals['required']}项，已落实{totals['held']}项，"
        f"未按期开展{totals['missed']}项，落实率{rate}"
    ) in text
    # The totals table holds the same figures, and every weak candidate is named.
    first = document.tables[0]
    assert [c.text for c in first.rows[1].cells][:4] == [
        str(totals["required"]),
        str(totals["held"]),
        str(totals["missed"]),
        rate,
    ]
    for branch in data["weak"]:
        assert branch["name"] in text
    trend = document.tables[-1]
    assert len(trend.rows) == 1 + len(data["trend"])


def test_a_docx_report_needs_an_output_file(demo: str):
    result = run("--db", demo, "report", "--month", "2026-09", "--format", "docx")
    assert result.exit_code == 2
    assert "docx 格式须用 -o 指定输出文件" in result.output
