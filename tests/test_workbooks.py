"""No cell orglife writes into a workbook is a formula: text starting with ``=`` stays text."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from openpyxl import load_workbook

from monitor.check import Check
from monitor.core.domain import Evidence, Finding, Member, Org, OrgType, Status
from monitor.core.evaluator import Registers
from monitor.core.periods import Cadence, Period
from monitor.core.rules import RulePack
from monitor.ledger.export import export_ledger
from monitor.ledger.model import LedgerEvent, LedgerItem, LedgerSource, LedgerStatus
from monitor.reporting import render_xlsx
from monitor.reporting.summary import RecordDates, summarise

D = dt.date
MARCH = Period(Cadence.MONTH, 2026, 3)
Q1 = Period(Cadence.QUARTER, 2026, 1)
LINK = '=HYPERLINK("http://evil.example","点此查看")'
SUM = "=1+1"
NOTE = "=cmd|' /C calc'!A0"


def item(id_: int, status: LedgerStatus, note: str | None = None) -> LedgerItem:
    return LedgerItem(
        id=id_,
        org="B01",
        member=None,
        rule=None,
        period=None,
        source=LedgerSource.INSPECTION,
        issue=SUM,
        opened=D(2026, 3, 12),
        deadline=D(2026, 4, 11),
        status=status,
        rectification=note,
    )


def cells(book_bytes: bytes) -> list[tuple[object, str]]:
    book = load_workbook(io.BytesIO(book_bytes))
    return [
        (cell.value, cell.data_type)
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    ]


def test_the_summary_workbook_keeps_formula_like_names_and_issues_as_text(national: RulePack):
    orgs = [
        Org("S", "幸福街道党工委", OrgType.COMMITTEE),
        Org("B01", LINK, OrgType.BRANCH, "S"),
        Org("B02", "第二党支部", OrgType.BRANCH, "S"),
    ]
    cadre = Member("L1", SUM, "B01", leader=True)
    findings = [
        Finding("B01", None, "themed_party_day", MARCH, Status.MISSED),
        Finding("B01", None, "branch_committee_meeting", MARCH, Status.HELD, Evidence(1, 1, (7,))),
        Finding("B02", None, "themed_party_day", MARCH, Status.HELD, Evidence(1, 1, (8,))),
        Finding("B01", "L1", "dual_org_life", Q1, Status.MISSED),
    ]
    check = Check(
        D(2026, 4, 20), D(2025, 1, 1), Registers({o.code: o for o in orgs}, (cadre,)), findings
    )
    summary = summarise(
        check,
        national,
        org="S",
        month=MARCH,
        late_records={7: RecordDates("B01", D(2026, 3, 10), D(2026, 4, 18))},
        ledger=[item(3, LedgerStatus.OVERDUE, NOTE)],
    )
    written = cells(render_xlsx(summary))
    assert [value for value, kind in written if kind == "f"] == []
    texts = {value for value, _ in written}
    # The hostile strings are there, whole and literal, in every sheet that shows them.
    assert LINK in texts
    assert SUM in texts
    assert NOTE in texts
    assert sum(value == LINK for value, _ in written) >= 3  # 汇总, 明细, 后补记录 at least


def test_the_ledger_export_keeps_formula_like_text_as_text(tmp_path: Path):
    orgs = {"B01": Org("B01", LINK, OrgType.BRANCH, "S")}
    items = [item(1, LedgerStatus.RECTIFYING, NOTE), item(2, LedgerStatus.OVERDUE)]
    events = [
        LedgerEvent(
            item=1,
            at=dt.datetime(2026, 3, 20, 2, tzinfo=dt.UTC),
            actor=SUM,
            action="rectified",
            from_status=LedgerStatus.OPEN,
            to_status=LedgerStatus.RECTIFYING,
            note=NOTE,
        )
    ]
    path = tmp_path / "问题台账.xlsx"
    export_ledger(path, items, events, orgs)
    written = cells(path.read_bytes())
    assert [value for value, kind in written if kind == "f"] == []
    texts = {value for value, _ in written}
    assert {SUM, NOTE} <= texts
    assert any(isinstance(v, str) and LINK in v for v in texts)
