"""The inspector's dashboard in a real browser (tests/browser_support.py), at a desk's and a
phone's width: an inspector signs in on the form, lands on the street's dashboard, sees the heat
map, opens a missed finding's evidence (htmx fills the panel; without JavaScript the same link
is a page), and drills down to the 党总支 and on to a branch's page. Screenshots go to
docs/screenshots/ (dashboard-{desk,phone}.png, evidence-desk.png)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from monitor.accounts.model import Role
from monitor.accounts.store import AccountStore
from monitor.store import Store
from tests.browser_support import NOW, SCREENSHOTS

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

PASSWORD = "correct horse 党建"
MISSED = "org=JD01-06-01&rule=branch_committee_meeting&period=2026-07"


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """SQLite only: the pages are the same on both backends, which the page tests cover."""
    return f"sqlite:///{tmp_path / 'orglife.db'}"


def no_page_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert page.viewport_size is not None
    assert width <= page.viewport_size["width"]


def sign_in(page: Page, live_server: str, username: str) -> None:
    page.goto(f"{live_server}/")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"]')


def test_an_inspector_opens_a_missed_findings_evidence_and_drills_down(
    page: Page, live_server: str, viewport: str, demo_store: Store
) -> None:
    AccountStore(demo_store).add_user("street", PASSWORD, Role.INSPECTOR, "JD01", now=NOW)
    sign_in(page, live_server, "street")
    page.wait_for_url(f"{live_server}/dashboard/JD01")
    assert page.locator("h1").inner_text() == "幸福街道党工委"
    heat = page.locator("table.heatmap")
    heat.wait_for(state="visible")
    assert heat.locator("tbody tr").count() == 8  # the street's eight branches
    text = page.locator("body").inner_text()
    for label in ("已落实", "未按期开展", "进行中", "免于考核", "落实率", "软弱涣散党组织排查对象"):
        assert label in text
    no_page_scroll(page)
    page.screenshot(path=str(SCREENSHOTS / f"dashboard-{viewport}.png"), full_page=True)

    # A missed cell: htmx loads the evidence into the panel, the page stays.
    cell = page.locator(f'td.cell-missed a[href="/dashboard/JD01/evidence?{MISSED}"]')
    cell.scroll_into_view_if_needed()
    cell.click()
    panel = page.locator("#evidence article.evidence")
    panel.wait_for(state="visible")
    assert page.url == f"{live_server}/dashboard/JD01"
    evidence = panel.inner_text()
    assert "众创园区联合党支部 · 支部委员会会议 · 2026年7月" in evidence
    assert "未按期开展" in evidence
    assert "2026年7月未开展支部委员会" in evidence
    no_page_scroll(page)
    if viewport == "desk":
        panel.screenshot(path=str(SCREENSHOTS / "evidence-desk.png"))

    # Down to the 党总支, then to a branch's page.
    page.click('nav.children a[href="/dashboard/JD01-06"]')
    page.wait_for_url(f"{live_server}/dashboard/JD01-06")
    assert page.locator("h1").inner_text() == "幸福街道社会组织党总支"
    assert page.locator("table.heatmap tbody tr").count() == 2
    assert "幸福社区党支部" not in page.locator("table.heatmap").inner_text()
    page.click('table.heatmap a[href="/branch/JD01-06-01"]')
    page.wait_for_url(f"{live_server}/branch/JD01-06-01")
    assert "众创园区联合党支部" in page.locator("body").inner_text()


def test_without_javascript_the_cell_opens_the_evidence_page(
    browser: Browser, live_server: str, demo_store: Store
) -> None:
    AccountStore(demo_store).add_user("street", PASSWORD, Role.INSPECTOR, "JD01", now=NOW)
    context = browser.new_context(java_script_enabled=False, locale="zh-CN")
    try:
        page = context.new_page()
        sign_in(page, live_server, "street")
        page.wait_for_url(f"{live_server}/dashboard/JD01")
        page.click(f'td.cell-missed a[href="/dashboard/JD01/evidence?{MISSED}"]')
        page.wait_for_url(f"{live_server}/dashboard/JD01/evidence?{MISSED}")
        assert page.locator("h1").inner_text() == "检查依据"
        assert "2026年7月未开展支部委员会" in page.locator("body").inner_text()
        page.click('nav.crumbs a[href="/dashboard/JD01"]')
        page.wait_for_url(f"{live_server}/dashboard/JD01")
    finally:
        context.close()


def test_a_secretary_cannot_open_the_street_dashboard(
    page: Page, live_server: str, viewport: str, demo_store: Store
) -> None:
    AccountStore(demo_store).add_user("sec", PASSWORD, Role.SECRETARY, "JD01-06-01", now=NOW)
    sign_in(page, live_server, "sec")
    page.wait_for_url(f"{live_server}/branch/JD01-06-01")
    reply = page.goto(f"{live_server}/dashboard/JD01")
    assert reply is not None
    assert reply.status == 404
    evidence = page.goto(f"{live_server}/dashboard/JD01-06-01/evidence?{MISSED}")
    assert evidence is not None
    assert evidence.status == 200  # their own branch's finding
    assert "2026年7月未开展支部委员会" in page.locator("body").inner_text()
