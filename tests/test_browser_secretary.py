"""In a real browser (Chromium through Playwright, tests/browser_support.py), at 390 px and
1440 px: a branch secretary signs in on the form, sees the November 党小组会 of a group still due
(进行中, 还剩 6 天), enters it on 录入会议记录 with the kinds, the attendees and a PDF and a PNG
made here, and sees it 已落实 on the record's page and on the home; another branch's page and
attachment are 404. Screenshots in docs/screenshots/ (secretary-home-*, record-form-*,
record-page-*).

Skipped without /usr/bin/chromium, failed instead under CI=true (.ci/run installs it)."""

from __future__ import annotations

import re
import struct
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from monitor.accounts.model import Role
from monitor.accounts.store import AccountStore
from monitor.attachments import AttachmentStore, Owner
from monitor.http.state import data_dir_for
from monitor.store import Store, records
from tests.browser_support import NOW, SCREENSHOTS

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

PASSWORD = "correct horse 党建"
BRANCH, G2 = "JD01-06-01", "JD01-06-01-G2"


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """SQLite only: the pages are the same on both backends, which test_pages_branch covers."""
    return f"sqlite:///{tmp_path / 'orglife.db'}"


def png(width: int = 4, height: int = 3) -> bytes:
    """A real (tiny, red) PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xc0\x10\x10" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def pdf() -> bytes:
    """A one-page PDF (no text; enough for a viewer to open)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return out


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert page.viewport_size is not None
    assert width <= page.viewport_size["width"], f"{width} px wide"


def test_a_secretary_enters_a_due_meeting_with_attendees_and_files_and_sees_it_held(
    page: Page, live_server: str, viewport: str, demo_store: Store, tmp_path: Path
) -> None:
    AccountStore(demo_store).add_user("sec", PASSWORD, Role.SECRETARY, BRANCH, now=NOW)
    other = records.list_records(demo_store, orgs=["JD01-01"])[-1].meeting
    assert other.id is not None
    files = AttachmentStore(demo_store, data_dir_for(demo_store) / "attachments")
    foreign = files.add(Owner.MEETING, other.id, "JD01-01", "签到表.png", png(), by="t", now=NOW)

    page.goto(f"{live_server}/")
    page.fill('input[name="username"]', "sec")
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"]')
    page.wait_for_url(f"{live_server}/branch/{BRANCH}")

    # The home: the group's November 党小组会 is due in 6 days.
    due = page.locator("li.duty", has_text="商贸企业党小组").filter(has_text="党小组会")
    assert "进行中" in due.inner_text()
    assert "还剩 6 天" in due.inner_text()
    body = page.locator("body").inner_text()
    assert "众创园区联合党支部" in body
    assert "未按期开展" in body
    assert "活动日：11月10日（周二）" in body
    no_sideways_scroll(page)
    page.screenshot(path=str(SCREENSHOTS / f"secretary-home-{viewport}.png"), full_page=True)

    # 录入会议记录.
    page.click("text=录入会议记录")
    page.wait_for_url(f"{live_server}/branch/{BRANCH}/records/new")
    page.select_option('select[name="org"]', G2)
    page.check('input[name="kinds"][value="group_meeting"]')
    page.fill('input[name="date"]', "2026-11-23")
    page.fill('input[name="expected"]', "6")
    page.fill('input[name="topic"]', "学习《中国共产党章程》第二章")
    group = page.locator('fieldset.roster[data-group="JD01-06-01-G2"]')
    group.locator("button.check-all").click()  # 全选本组 (the script ticks them in place)
    assert group.locator('input[name="attendees"]:checked').count() == 7
    page.uncheck('input[name="attendees"][value="M0131"]')  # one was absent
    minutes, photo = tmp_path / "会议纪要.pdf", tmp_path / "现场照片.png"
    minutes.write_bytes(pdf())
    photo.write_bytes(png())
    page.set_input_files('input[name="attachments"]', [str(minutes), str(photo)])
    no_sideways_scroll(page)
    page.screenshot(path=str(SCREENSHOTS / f"record-form-{viewport}.png"), full_page=True)
    page.click("form.record-form .actions button[type='submit']")
    page.wait_for_url(re.compile(r".*/records/\d+\?saved=1$"))

    # The record's page says at once what it fulfilled.
    counted = page.locator("section.counted").inner_text()
    assert "已落实" in counted
    assert "党小组会 2026年11月" in counted
    text = page.locator("body").inner_text()
    assert "6/6" in text  # 实到 left blank: the six ticked
    assert "会议纪要.pdf" in text
    assert "现场照片.png" in text
    no_sideways_scroll(page)
    page.screenshot(path=str(SCREENSHOTS / f"record-page-{viewport}.png"), full_page=True)
    link = page.locator('a[href^="/attachments/"]', has_text="现场照片.png").get_attribute("href")
    served = page.request.get(f"{live_server}{link}")
    assert served.status == 200
    assert served.headers["content-type"] == "image/png"
    assert served.body() == png()

    page.click(f'nav.crumbs a[href="/branch/{BRANCH}"]')
    page.wait_for_url(f"{live_server}/branch/{BRANCH}")
    done = page.locator("li.duty", has_text="商贸企业党小组").filter(has_text="党小组会")
    assert "已落实" in done.inner_text()

    # Another branch's page and file: as if they did not exist.
    other_page = page.goto(f"{live_server}/branch/JD01-01")
    assert other_page is not None
    assert other_page.status == 404
    other_file = page.goto(f"{live_server}/attachments/{foreign.id}")
    assert other_file is not None
    assert other_file.status == 404
