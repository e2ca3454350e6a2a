"""In a real browser (Debian's Chromium through Playwright, tests/browser_support.py): an
inspector opens the ledger board, opens a rectified item and clears it (销号); a secretary on a
phone records a rectification with a note; the monthly summary page at both widths. Screenshots
in docs/screenshots/ (ledger-board-*, ledger-item-desk, summary-*).

Skipped without /usr/bin/chromium, failed instead under CI=true (.ci/run installs it)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from monitor.accounts.model import Role
from monitor.accounts.store import AccountStore
from monitor.attachments import AttachmentStore, Owner
from monitor.check import run_check, update_ledger
from monitor.core.rules import RulePack
from monitor.http.state import data_dir_for
from monitor.ledger.model import LedgerItem, LedgerStatus
from monitor.ledger.store import LedgerStore
from monitor.store import Store
from tests.browser_support import NOW, SCREENSHOTS

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

PASSWORD = "correct horse 党建"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """SQLite only: the pages are the same on both backends, which the page tests cover."""
    return f"sqlite:///{tmp_path / 'orglife.db'}"


@pytest.fixture
def ledger(demo_store: Store, national: RulePack) -> Store:
    """The demo district's misses of 2026-11-24 in the ledger; an inspector and a secretary."""
    check = run_check(demo_store, national, as_of=NOW.date(), with_records=False)
    update_ledger(demo_store, national, check, today=NOW.date(), now=NOW)
    accounts = AccountStore(demo_store)
    accounts.add_user("street", PASSWORD, Role.INSPECTOR, "JD01", now=NOW)
    accounts.add_user("sec", PASSWORD, Role.SECRETARY, "JD01-06-01", now=NOW)
    return demo_store


def item_of(store: Store, org: str, rule: str, period: str) -> LedgerItem:
    (item,) = [i for i in LedgerStore(store).items([org]) if (i.rule, i.period) == (rule, period)]
    return item


def sign_in(page: Page, base: str, username: str, then: str) -> None:
    page.goto(f"{base}/login?next={then}")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"]')
    page.wait_for_url(f"{base}{then}")


def fits(page: Page) -> bool:
    """Nothing wider than the window: no sideways scrolling."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_the_board_at_a_phone_and_a_desk(
    page: Page, live_server: str, viewport: str, ledger: Store
) -> None:
    sign_in(page, live_server, "street", "/ledger")
    counts = page.locator(".ledger-counts").inner_text()
    assert "待整改" in counts
    assert "36" in counts
    assert page.locator(".ledger-table tbody tr").count() == 36
    assert fits(page)
    page.screenshot(path=str(SCREENSHOTS / f"ledger-board-{viewport}.png"), full_page=False)
    page.select_option("#f-org", "JD01-06")
    page.fill("#f-q", "党小组会")
    page.click(".ledger-filters button[type=submit]")
    page.wait_for_url(lambda url: "org=JD01-06" in url)
    assert page.locator(".ledger-table tbody tr").count() == 10  # G1: 5, G2: 4, 社工: 1
    assert fits(page)


@pytest.mark.parametrize("viewport", ["desk"], indirect=True)
def test_an_inspector_clears_a_rectified_item(
    page: Page, live_server: str, viewport: str, ledger: Store
) -> None:
    item = item_of(ledger, "JD01-06-01", "party_lesson", "2026-Q3")
    LedgerStore(ledger).rectify(item.id, "已于11月20日补上党课，附签到表", by="李书记", now=NOW)
    sheet = AttachmentStore(ledger, data_dir_for(ledger) / "attachments").add(
        Owner.LEDGER, item.id, item.org, "党课签到表.png", PNG, by="user:sec", now=NOW
    )
    sign_in(page, live_server, "street", "/ledger")
    page.click(".ledger-counts a:has-text('整改中')")
    page.wait_for_url("**/ledger?status=rectifying")
    page.click(f'td[data-label="问题"] a[href="/ledger/{item.id}"]')
    page.wait_for_url(f"{live_server}/ledger/{item.id}")
    body = page.locator("main").inner_text()
    assert "整改中" in body
    assert "已于11月20日补上党课" in body
    assert page.locator(f'.ledger-files a[href="/attachments/{sheet.id}"]').inner_text() == (
        "党课签到表.png"
    )
    page.fill("#clear-note", "现场核实了签到表和会议记录")
    page.screenshot(path=str(SCREENSHOTS / "ledger-item-desk.png"), full_page=True)
    page.click(f'form[action="/ledger/{item.id}/clear"] button[type=submit]')
    page.wait_for_url(f"{live_server}/ledger/{item.id}?done=cleared")
    assert page.locator(".ledger-state").inner_text().startswith("已销号")
    assert "现场核实了签到表和会议记录" in page.locator(".ledger-trail").inner_text()
    assert LedgerStore(ledger).item(item.id).status is LedgerStatus.CLEARED


@pytest.mark.parametrize("viewport", ["phone"], indirect=True)
def test_a_secretary_on_a_phone_rectifies_an_item_with_a_note(
    page: Page, live_server: str, viewport: str, ledger: Store
) -> None:
    item = item_of(ledger, "JD01-06-01", "branch_general_meeting", "2026-Q3")
    sign_in(page, live_server, "sec", f"/ledger/{item.id}")
    assert "待整改" in page.locator(".ledger-state").inner_text()
    assert page.locator(f'form[action="/ledger/{item.id}/clear"]').count() == 0
    assert fits(page)
    page.fill("#rectify-note", "已于11月25日补开支部党员大会，会议记录已录入")
    page.click(f'form[action="/ledger/{item.id}/rectify"] button[type=submit]')
    page.wait_for_url(f"{live_server}/ledger/{item.id}?done=rectified")
    assert "已登记整改情况" in page.locator(".notice").inner_text()
    assert "整改中" in page.locator(".ledger-state").inner_text()
    assert fits(page)
    page.screenshot(path=str(SCREENSHOTS / "ledger-item-phone.png"), full_page=True)
    after = LedgerStore(ledger).item(item.id)
    assert (after.status, after.rectification) == (
        LedgerStatus.RECTIFYING,
        "已于11月25日补开支部党员大会，会议记录已录入",
    )


def test_the_summary_page_at_a_phone_and_a_desk(
    page: Page, live_server: str, viewport: str, ledger: Store
) -> None:
    sign_in(page, live_server, "street", "/ledger")
    page.goto(f"{live_server}/summary")
    page.wait_for_url(f"{live_server}/summary/JD01/2026-10")
    assert "幸福街道党工委2026年10月组织生活检查通报" in page.locator("h1").inner_text()
    assert page.locator(".report svg").count() == 2  # the trend and the ranking
    assert fits(page)
    page.screenshot(path=str(SCREENSHOTS / f"summary-{viewport}.png"), full_page=False)
    with page.expect_download() as download:
        page.click(".summary-downloads a:has-text('Excel')")
    assert download.value.suggested_filename.endswith(".xlsx")
    page.select_option("#s-month", "2026-09")
    page.click(".summary-picker button[type=submit]")
    page.wait_for_url(f"{live_server}/summary/JD01/2026-09")
    assert "2026年9月" in page.locator("h1").inner_text()
