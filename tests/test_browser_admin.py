"""In a real browser (Chromium through Playwright, tests/browser_support.py): a secretary opens
日历订阅 from the header and sees the QR code, at a phone's and a desk's width; an admin
uploads a bad meetings file, reads each error with its line and column, uploads a good one and
confirms it; a secretary changes their password through the form. Screenshots go to
docs/screenshots/ (calendar-*.png, admin-import-errors-desk.png, admin-import-desk.png,
password-phone.png).

Skipped without /usr/bin/chromium, failed instead under CI=true (.ci/run installs it)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from monitor.accounts.model import Role
from monitor.accounts.store import AccountStore, SignInRefused
from monitor.store import Store
from tests.browser_support import NOW, SCREENSHOTS

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

PASSWORD = "correct horse 党建"
HEADER = "组织编码,会议类型,日期,应到人数,实到人数,授课人,主题,参会人员,录入日期\n"
BAD = (
    HEADER
    + "JD01-06-01,支部委员会,2026-11-31,5,5,,支委会：研究年度工作,,2026-11-21\n"
    + "JD01-06-01,支部委员会,2026-11-20,5,很多,,支委会：研究年度工作,,2026-11-21\n"
    + "JD01-06-01,读书会,2026-11-21,8,7,,党小组会：学习,,2026-11-21\n"
)
GOOD = (
    HEADER
    + "JD01-06-01,支部委员会,2026-11-20,5,5,,支委会：研究年度工作,,2026-11-21\n"
    + "JD01-06-01,党小组会,2026-11-21,8,7,,党小组会：学习,,2026-11-21\n"
)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """SQLite only: the pages are the same on both backends, which the page tests cover."""
    return f"sqlite:///{tmp_path / 'orglife.db'}"


def sign_in(page: Page, base: str, username: str, lands: str) -> None:
    page.goto(f"{base}/login")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"]')
    page.wait_for_url(f"{base}{lands}")


def fits(page: Page) -> bool:
    """Nothing wider than the window: no sideways scrolling."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_a_secretary_opens_the_calendar_subscription_and_sees_the_qr_code(
    page: Page, live_server: str, demo_store: Store, viewport: str
) -> None:
    AccountStore(demo_store).add_user("sec", PASSWORD, Role.SECRETARY, "JD01-06-01", now=NOW)
    sign_in(page, live_server, "sec", "/branch/JD01-06-01")
    page.click('nav.menu a[href="/calendar"]')
    page.wait_for_url(f"{live_server}/calendar/JD01-06-01")
    qr = page.locator(".qr-box svg.qr")
    qr.wait_for(state="visible")
    box = qr.bounding_box()
    assert box is not None
    assert box["width"] >= 150  # big enough for a phone's camera
    url = page.input_value("#feed-url")
    assert url.startswith("http")
    assert "/feeds/" in url
    assert url.endswith(".ics")
    webcal = page.get_attribute('a.button[href^="webcal://"]', "href")
    assert webcal == "webcal://" + url.split("://", 1)[1]
    assert "iPhone" in page.inner_text("main")
    assert fits(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"calendar-{viewport}.png"), full_page=True)
    feed = page.request.get(url.replace(url.split("/feeds/")[0], live_server))
    assert feed.status == 200
    assert feed.text().startswith("BEGIN:VCALENDAR")


@pytest.mark.parametrize("viewport", ["desk"], indirect=True)
def test_an_admin_checks_a_bad_file_then_imports_a_good_one(
    page: Page, live_server: str, demo_store: Store
) -> None:
    AccountStore(demo_store).add_user("admin", PASSWORD, Role.ADMIN, None, now=NOW)
    before = demo_store.counts()["meetings"]
    sign_in(page, live_server, "admin", "/dashboard/JD01")
    page.click('nav.menu a[href="/admin"]')
    page.click('a[href="/admin/imports"]')
    page.wait_for_url(f"{live_server}/admin/imports")
    page.check('input[name="register"][value="meetings"]')
    page.set_input_files(
        "#file", {"name": "十一月会议.csv", "mimeType": "text/csv", "buffer": BAD.encode()}
    )
    page.click('button:has-text("上传并检查")')
    page.wait_for_selector(".report-bad")
    rows = page.locator(".errors-table tbody tr")
    assert rows.count() == 3
    cells = [
        (
            rows.nth(i).locator("td").nth(0).inner_text(),
            rows.nth(i).locator("td").nth(1).inner_text(),
        )
        for i in range(3)
    ]
    assert cells == [("2", "日期"), ("3", "实到人数"), ("4", "会议类型")]
    assert "十一月会议.csv 第2行" in rows.nth(0).inner_text()
    assert page.locator('button:has-text("确认导入")').count() == 0
    assert fits(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "admin-import-errors-desk.png"), full_page=True)
    assert demo_store.counts()["meetings"] == before

    page.check('input[name="register"][value="meetings"]')
    page.set_input_files(
        "#file", {"name": "十一月会议.csv", "mimeType": "text/csv", "buffer": GOOD.encode()}
    )
    page.click('button:has-text("上传并检查")')
    page.wait_for_selector(".report-ok")
    assert "新增 2 条" in page.inner_text(".report")
    assert demo_store.counts()["meetings"] == before  # checked, not stored
    page.click('button:has-text("确认导入")')
    page.wait_for_selector(".report-ok .notice")
    assert "已导入" in page.inner_text(".report")
    assert demo_store.counts()["meetings"] == before + 2
    assert fits(page)
    page.screenshot(path=str(SCREENSHOTS / "admin-import-desk.png"), full_page=True)


@pytest.mark.parametrize("viewport", ["phone"], indirect=True)
def test_a_secretary_changes_the_password_through_the_form(
    page: Page, live_server: str, demo_store: Store
) -> None:
    accounts = AccountStore(demo_store)
    accounts.add_user("sec", PASSWORD, Role.SECRETARY, "JD01-06-01", now=NOW)
    sign_in(page, live_server, "sec", "/branch/JD01-06-01")
    page.click('nav.menu a[href="/account/password"]')
    page.wait_for_url(f"{live_server}/account/password")
    page.fill("#current", "wrong horse")
    page.fill("#new", "新的密码 2026")
    page.fill("#again", "新的密码 2026")
    page.click('form.form button[type="submit"]')
    page.wait_for_selector(".field-error")
    assert "当前密码不正确" in page.inner_text(".field-error")
    page.fill("#current", PASSWORD)
    page.fill("#new", "新的密码 2026")
    page.fill("#again", "新的密码 2026")
    page.click('form.form button[type="submit"]')
    page.wait_for_url(f"{live_server}/account/password?changed=1")
    assert "密码已修改" in page.inner_text(".notice")
    assert fits(page)
    page.screenshot(path=str(SCREENSHOTS / "password-phone.png"), full_page=True)
    accounts.authenticate("sec", "新的密码 2026", address="10.7.7.7", now=NOW)
    with pytest.raises(SignInRefused):
        accounts.authenticate("sec", PASSWORD, address="10.7.7.7", now=NOW)
    page.click('form.logout button[type="submit"]')
    page.wait_for_url(f"{live_server}/login")


def test_an_admin_adds_a_user_through_the_form(
    page: Page, live_server: str, demo_store: Store, viewport: str
) -> None:
    AccountStore(demo_store).add_user("admin", PASSWORD, Role.ADMIN, None, now=NOW)
    AccountStore(demo_store).add_user("street", PASSWORD, Role.INSPECTOR, "JD01", now=NOW)
    sign_in(page, live_server, "admin", "/dashboard/JD01")
    page.goto(f"{live_server}/admin/users")
    page.fill("#username", "wang")
    page.select_option("#role", "secretary")
    page.fill("#org", "NO-SUCH-ORG")
    page.fill("#password", "初始密码 2026")
    page.click('form.grid-form button[type="submit"]')
    page.wait_for_selector(".field-error")
    assert "没有编码为“NO-SUCH-ORG”的组织" in page.inner_text(".field-error")
    assert page.input_value("#username") == "wang"  # refilled
    page.fill("#org", "JD01-02")
    page.fill("#password", "初始密码 2026")
    page.click('form.grid-form button[type="submit"]')
    page.wait_for_url(f"{live_server}/admin/users?added=wang")
    assert "已添加用户“wang”" in page.inner_text(".notice")
    assert "和平社区党支部" in page.inner_text("table")
    assert fits(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"admin-users-{viewport}.png"), full_page=True)


@pytest.mark.parametrize("viewport", ["phone"], indirect=True)
def test_the_token_and_chat_lists_fit_a_phone(
    page: Page, live_server: str, demo_store: Store
) -> None:
    from monitor.alerts.plan import ChatRole, Platform
    from monitor.alerts.store import AlertStore

    AccountStore(demo_store).add_user("admin", PASSWORD, Role.ADMIN, None, now=NOW)
    AccountStore(demo_store).create_token("admin", "区级平台数据同步（每晚）", now=NOW)
    key = "0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e"
    AlertStore(demo_store).add_chat(
        "JD01-06-01",
        None,
        ChatRole.BRANCH,
        now=NOW,
        platform=Platform.WECOM,
        webhook=f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={key}",
    )
    sign_in(page, live_server, "admin", "/dashboard/JD01")
    page.goto(f"{live_server}/admin/tokens")
    assert "区级平台数据同步" in page.inner_text("table")
    assert fits(page)
    page.goto(f"{live_server}/admin/chats")
    assert "众创园区联合党支部" in page.inner_text("table")
    assert key not in page.content()
    assert fits(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "admin-chats-phone.png"), full_page=True)
