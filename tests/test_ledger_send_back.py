"""Sending a rectification back (退回): only a rectifying item, back to open (or overdue past its
deadline), with its trail; on SQLite and PostgreSQL, and on the command line."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner

from monitor.cli import main
from monitor.ledger.model import (
    ACTION_LABELS,
    LedgerError,
    LedgerItem,
    LedgerSource,
    LedgerStatus,
    check_send_back,
    returned_status,
)
from monitor.ledger.store import LedgerStore
from monitor.store import Store

TODAY = dt.date(2026, 11, 24)
NOW = dt.datetime(2026, 11, 24, 2, tzinfo=dt.UTC)
LATER = dt.datetime(2026, 11, 25, 3, tzinfo=dt.UTC)


def _item(status: LedgerStatus, deadline: dt.date = dt.date(2026, 12, 24)) -> LedgerItem:
    return LedgerItem(
        id=7,
        org="B01",
        member=None,
        rule=None,
        period=None,
        source=LedgerSource.INSPECTION,
        issue="会议记录不规范",
        opened=TODAY,
        deadline=deadline,
        status=status,
        rectification="已整改" if status is LedgerStatus.RECTIFYING else None,
    )


def test_only_a_rectifying_item_can_be_sent_back() -> None:
    check_send_back(_item(LedgerStatus.RECTIFYING))
    for status in (LedgerStatus.OPEN, LedgerStatus.OVERDUE, LedgerStatus.CLEARED):
        label = {"open": "待整改", "overdue": "逾期未整改", "cleared": "已销号"}[status.value]
        with pytest.raises(
            LedgerError, match=rf"问题#7状态为“{label}”，只有“整改中”的问题可以退回"
        ):
            check_send_back(_item(status))
    assert ACTION_LABELS["returned"] == "退回"


def test_a_sent_back_item_is_open_until_its_deadline_then_overdue() -> None:
    item = _item(LedgerStatus.RECTIFYING, deadline=TODAY)
    assert returned_status(item, TODAY) is LedgerStatus.OPEN  # the deadline day itself still counts
    assert returned_status(item, TODAY + dt.timedelta(days=1)) is LedgerStatus.OVERDUE


def _rectifying(store: Store, deadline: dt.date | None = None) -> LedgerItem:
    ledger = LedgerStore(store)
    item = ledger.add(
        "JD01-06-01", "会议记录不规范", by="督查组", today=TODAY, now=NOW, deadline=deadline
    )
    return ledger.rectify(item.id, "已重新整理会议记录", by="李书记", now=NOW)


def test_send_back_moves_a_rectifying_item_back_to_open_with_its_trail(demo_store: Store) -> None:
    item = _rectifying(demo_store)
    back = LedgerStore(demo_store).send_back(
        item.id, " 未附签到表，请补充 ", by="user:inspector", today=TODAY, now=LATER
    )
    assert (back.status, back.rectification) == (LedgerStatus.OPEN, None)
    assert LedgerStore(demo_store).item(item.id) == back
    last = LedgerStore(demo_store).events(item.id)[-1]
    assert (last.action, last.actor, last.from_status, last.to_status, last.note, last.at) == (
        "returned",
        "user:inspector",
        LedgerStatus.RECTIFYING,
        LedgerStatus.OPEN,
        "未附签到表，请补充",
        LATER,
    )
    # The rejected rectification stays in the trail.
    assert [e.note for e in LedgerStore(demo_store).events(item.id)][-2] == "已重新整理会议记录"


def test_send_back_past_the_deadline_makes_the_item_overdue(demo_store: Store) -> None:
    item = _rectifying(demo_store, deadline=TODAY)
    later = TODAY + dt.timedelta(days=3)
    back = LedgerStore(demo_store).send_back(
        item.id, "整改不到位", by="督查组", today=later, now=LATER
    )
    assert back.status is LedgerStatus.OVERDUE
    assert LedgerStore(demo_store).events(item.id)[-1].to_status is LedgerStatus.OVERDUE


def test_a_refused_send_back_says_why_and_changes_nothing(demo_store: Store) -> None:
    ledger = LedgerStore(demo_store)
    fresh = ledger.add("JD01-06-01", "台账缺页", by="督查组", today=TODAY, now=NOW)
    item = _rectifying(demo_store)
    before = (ledger.items(), ledger.events())
    with pytest.raises(LedgerError, match="退回理由为空"):
        ledger.send_back(item.id, "  ", by="督查组", today=TODAY, now=LATER)
    with pytest.raises(LedgerError, match="只有“整改中”的问题可以退回"):
        ledger.send_back(fresh.id, "不行", by="督查组", today=TODAY, now=LATER)
    with pytest.raises(LedgerError, match="问题台账中没有#9999"):
        ledger.send_back(9999, "不行", by="督查组", today=TODAY, now=LATER)
    assert (ledger.items(), ledger.events()) == before


def test_orglife_ledger_return_sends_an_item_back(demo_store: Store, db_url: str) -> None:
    item = _rectifying(demo_store)
    runner = CliRunner()
    command = ["--db", db_url, "ledger", "return", "--note", "缺签到表", "--by", "督查组"]
    done = runner.invoke(
        main,
        [*command, str(item.id), "--as-of", "2026-11-25"],
    )
    assert done.exit_code == 0, done.output
    assert f"问题#{item.id}已退回" in done.output
    assert "待整改" in done.output
    assert LedgerStore(demo_store).item(item.id).status is LedgerStatus.OPEN
    again = runner.invoke(
        main,
        [*command, str(item.id), "--as-of", "2026-11-25"],
    )
    assert again.exit_code != 0
    assert "只有“整改中”的问题可以退回" in again.output
