"""In a real browser (Debian's Chromium through Playwright, tests/browser_support.py): Swagger UI
at /api/docs loads with no request leaving the server's origin and lists the operations, at a
phone's and a desk's width (screenshots in docs/screenshots/); signing in from the browser's
context sets the session cookie, which then reads the API.

Skipped without /usr/bin/chromium, failed instead under CI=true (.ci/run installs it)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

from monitor.accounts.model import Role
from monitor.accounts.store import AccountStore
from monitor.http.auth import SESSION_COOKIE
from monitor.store import Store
from tests import browser_support
from tests.browser_support import NOW, SCREENSHOTS

if TYPE_CHECKING:
    from playwright.sync_api import Page, Request

pytestmark = pytest.mark.browser

PASSWORD = "correct horse 党建"


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """SQLite only: the pages are the same on both backends, which the API tests cover."""
    return f"sqlite:///{tmp_path / 'orglife.db'}"


def test_swagger_ui_loads_offline_and_lists_the_operations(
    page: Page, live_server: str, viewport: str
) -> None:
    requested: list[str] = []

    def record(request: Request) -> None:
        requested.append(request.url)

    page.on("request", record)
    reply = page.goto(f"{live_server}/api/docs")
    assert reply is not None
    assert reply.status == 200
    findings = page.locator('.opblock-summary-path[data-path="/api/v1/findings"]').first
    findings.wait_for(state="visible")
    assert page.locator(".opblock").count() > 20  # every operation, not only the first
    assert "组织生活合规监测" in page.locator(".information-container").inner_text()
    page.wait_for_load_state("networkidle")

    origin = urlsplit(live_server)
    assert f"{live_server}/api/openapi.json" in requested
    assert any(url.endswith("/swagger-ui-bundle.js") for url in requested)
    leaving = [
        url
        for url in requested
        if urlsplit(url).scheme not in ("data", "blob")
        and (urlsplit(url).scheme, urlsplit(url).netloc) != (origin.scheme, origin.netloc)
    ]
    assert leaving == [], "requests leaving 127.0.0.1"
    assert origin.hostname == "127.0.0.1"
    # Nothing wider than the window: no sideways scrolling on the phone.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"api-docs-{viewport}.png")  # the first screen


@pytest.mark.parametrize("viewport", ["desk"], indirect=True)
def test_signing_in_from_the_browser_sets_the_session_cookie(
    page: Page, live_server: str, demo_store: Store
) -> None:
    AccountStore(demo_store).add_user("sec", PASSWORD, Role.SECRETARY, "JD01-06-01", now=NOW)

    json = {"Accept": "application/json"}
    refused = page.request.post(
        f"{live_server}/login", form={"username": "sec", "password": "wrong horse"}, headers=json
    )
    assert refused.status == 401
    assert refused.headers["content-type"] == "application/problem+json"
    assert not [c for c in page.context.cookies() if c["name"] == SESSION_COOKIE]

    reply = page.request.post(
        f"{live_server}/login", form={"username": "sec", "password": PASSWORD}, headers=json
    )
    assert reply.status == 204, reply.text()
    assert reply.headers["x-csrf-token"]
    (cookie,) = [c for c in page.context.cookies() if c["name"] == SESSION_COOKIE]
    assert cookie["httpOnly"]
    assert cookie["sameSite"] == "Strict"
    assert cookie["domain"] == "127.0.0.1"

    # The cookie is the browser's now: the page's own requests carry it.
    org = page.goto(f"{live_server}/api/v1/orgs/JD01-06-01")
    assert org is not None
    assert org.status == 200
    assert org.json()["code"] == "JD01-06-01"
    outside = page.goto(f"{live_server}/api/v1/orgs/JD01-01")
    assert outside is not None
    assert outside.status == 404


def test_without_chromium_a_browser_test_skips_but_fails_under_ci(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(browser_support, "CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no-chromium is missing"):
        browser_support.require_chromium()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="must run under CI=true"):
        browser_support.require_chromium()


def test_a_secretary_signs_in_on_the_form_and_sees_the_branch_and_nothing_else(
    page: Page, live_server: str, viewport: str, demo_store: Store
) -> None:
    AccountStore(demo_store).add_user("sec", PASSWORD, Role.SECRETARY, "JD01-06-01", now=NOW)
    reply = page.goto(f"{live_server}/")
    assert reply is not None
    assert urlsplit(page.url).path == "/login"  # not signed in: the form
    page.fill('input[name="username"]', "sec")
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"]')
    page.wait_for_url(f"{live_server}/branch/JD01-06-01")
    text = page.locator("body").inner_text()
    assert "众创园区联合党支部" in text
    assert "已落实" in text
    assert "未按期开展" in text
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"] if page.viewport_size else True
    # secretary-home-*.png is taken by tests/test_browser_secretary.py (the whole page).
    other = page.goto(f"{live_server}/org/JD01-01")
    assert other is not None
    assert other.status == 404  # another branch: as if it did not exist


def test_a_form_posted_without_its_csrf_token_is_refused(
    page: Page, live_server: str, viewport: str, demo_store: Store
) -> None:
    AccountStore(demo_store).add_user("sec", PASSWORD, Role.SECRETARY, "JD01-06-01", now=NOW)
    signed = page.request.post(
        f"{live_server}/login",
        form={"username": "sec", "password": PASSWORD},
        headers={"Accept": "application/json"},
    )
    assert signed.status == 204
    refused = page.request.post(f"{live_server}/logout", form={"csrf": "forged"})
    assert refused.status == 403
    assert page.request.get(f"{live_server}/org/JD01-06-01").status == 200  # still signed in
