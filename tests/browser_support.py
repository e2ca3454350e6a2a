"""Fixtures for tests in a real browser: the app served on a free port of 127.0.0.1, and a
Playwright page (sync API) in Debian's Chromium at a phone's or a desk's viewport.

- ``live_server``: the app of `orglife serve` (:func:`monitor.http.app.create_app`) over the
  ``demo_store`` fixture's store, run by :class:`monitor.http.server.HttpServer` in an asyncio
  loop of a background thread; yields its base URL (``http://127.0.0.1:<port>``). Accounts added
  to ``demo_store`` (``AccountStore(demo_store).add_user``) can sign in at once.
- ``viewport``: ``"phone"`` (390×844) or ``"desk"`` (1440×900); a test runs at both unless it
  picks one: ``@pytest.mark.parametrize("viewport", ["desk"], indirect=True)``.
- ``page``: a fresh browser context (no cookies) at that viewport, in Chromium.

The browser is ``/usr/bin/chromium`` (`apt-get install chromium`; ``.ci/run`` installs it when it
is missing); ``playwright install`` is never run. Without it a browser test skips, but fails under
``CI=true``: in CI the browser tests always run.

Playwright's sync API keeps its event loop marked as running in the main thread while it is open,
so ``asyncio.run`` fails inside a browser test: the browser is module-scoped (closed when the
module's tests end) and the app's loop is a thread of its own.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from monitor.core.rules import RulePack
from monitor.holidays import work_calendar
from monitor.store import Store

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
NOW = dt.datetime(2026, 11, 24, 2, tzinfo=dt.UTC)  # the app's clock: the demo's November
VIEWPORTS = {
    "phone": {"width": 390, "height": 844},
    "desk": {"width": 1440, "height": 900},
}
SCREENSHOTS = Path(__file__).parent.parent / "docs" / "screenshots"


def _missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium; .ci/run installs it)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        return f"playwright is not installed (pip install -e '.[test]'): {exc}"
    return None


def require_chromium() -> None:
    """Skip without Chromium and Playwright; fail instead under ``CI=true``."""
    problem = _missing()
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests must run under CI=true: {problem}")
        pytest.skip(problem)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless; without the sandbox only as root (it refuses to start)."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox"] if os.geteuid() == 0 else [],
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request: pytest.FixtureRequest) -> str:
    """The viewport's name: ``phone`` or ``desk``."""
    name = request.param
    assert name in VIEWPORTS, name
    return str(name)


@pytest.fixture
def page(browser: Browser, viewport: str) -> Iterator[Page]:
    """A page in a fresh context (its own cookies) at ``viewport``, Chinese locale."""
    context = browser.new_context(
        viewport=VIEWPORTS[viewport],  # type: ignore[arg-type]
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def _clock() -> dt.datetime:
    return NOW


@pytest.fixture
def live_server(demo_store: Store, national: RulePack) -> Iterator[str]:
    """The app over ``demo_store`` served on 127.0.0.1 (a free port); yields its base URL."""
    from monitor.http.app import create_app
    from monitor.http.server import HttpServer
    from monitor.http.state import AppState

    state = AppState(demo_store, national, work_calendar(warn=lambda *a: None), clock=_clock)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="live-server", daemon=True)
    thread.start()
    try:
        server = asyncio.run_coroutine_threadsafe(
            HttpServer.start(create_app(state), host="127.0.0.1", port=0), loop
        ).result(timeout=30)
        try:
            yield server.url
        finally:
            asyncio.run_coroutine_threadsafe(server.stop(), loop).result(timeout=30)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)
        loop.close()
