"""Names and topics with markup characters in every renderer: escaped where the output is
markup (the HTML summary, iCalendar text), literal where it is not (the Telegram message, which
goes out without a parse mode, and workbook cells).

The HTML assertions parse the page rather than match its markup, so they hold whatever
produces the page (f-strings or templates) and whichever entity form it escapes with.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
from html.parser import HTMLParser

import icalendar
import pytest
from openpyxl import load_workbook

from monitor.alerts.channels import TelegramChannel
from monitor.alerts.plan import Chat, ChatRole
from monitor.calendar.feed import FeedInput, FeedKind, FeedSubject, build_feed
from monitor.calendar.ical import render, stamp
from monitor.check import Check
from monitor.core.domain import Evidence, Finding, Meeting, Member, Org, OrgType, Status
from monitor.core.evaluator import Registers
from monitor.core.periods import Cadence, Period
from monitor.core.rules import RulePack
from monitor.core.workdays import WorkCalendar
from monitor.holidays import work_calendar
from monitor.ledger.model import LedgerItem, LedgerSource, LedgerStatus
from monitor.reporting import render_html, render_md, render_xlsx
from monitor.reporting.summary import MonthlySummary, RecordDates, summarise
from tests.fake_telegram import FakeTelegram

D = dt.date
MARCH = Period(Cadence.MONTH, 2026, 3)
Q1 = Period(Cadence.QUARTER, 2026, 1)
# Short enough that no renderer shortens them (the HTML chart cuts names at 16 characters).
BRANCH = "<script>&\"'支部"
ROOT = "<i>街道</i>&党工委"
CADRE = "<b>李\"书记'</b>"
ISSUE = '整改<img src=x onerror="alert(1)">&问题'
TOPIC = '<b>学习</b>&研讨"二十大"\'，含逗号,分号;反斜杠\\'
URL = 'https://example.org/r?a=1&b="><script>x</script>'


@pytest.fixture(scope="module")
def workdays() -> WorkCalendar:
    return work_calendar(warn=lambda year, hint: None)


@pytest.fixture
def summary(national: RulePack) -> MonthlySummary:
    """March of a street whose branch, root, cadre and ledger issue carry markup characters."""
    orgs = [
        Org("S", ROOT, OrgType.COMMITTEE),
        Org("B01", BRANCH, OrgType.BRANCH, "S"),
        Org("B02", "第二党支部", OrgType.BRANCH, "S"),
    ]
    cadre = Member("L1", CADRE, "B01", leader=True)
    findings = [
        Finding("B01", None, "themed_party_day", MARCH, Status.MISSED),
        Finding("B01", None, "branch_committee_meeting", MARCH, Status.HELD, Evidence(1, 1, (7,))),
        Finding("B02", None, "themed_party_day", MARCH, Status.HELD, Evidence(1, 1, (8,))),
        Finding("B01", "L1", "dual_org_life", Q1, Status.MISSED),
    ]
    check = Check(
        D(2026, 4, 20), D(2025, 1, 1), Registers({o.code: o for o in orgs}, (cadre,)), findings
    )
    issue = LedgerItem(
        id=3,
        org="B01",
        member=None,
        rule=None,
        period=None,
        source=LedgerSource.INSPECTION,
        issue=ISSUE,
        opened=D(2026, 3, 12),
        deadline=D(2026, 4, 11),
        status=LedgerStatus.OPEN,
    )
    return summarise(
        check,
        national,
        org="S",
        month=MARCH,
        late_records={7: RecordDates("B01", D(2026, 3, 10), D(2026, 4, 18))},
        ledger=[issue],
    )


class Page(HTMLParser):
    """What a browser makes of a page: its tags, attributes and text (entities decoded)."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.chunks: list[str] = []
        self.feed(html)
        self.close()
        self.text = "".join(self.chunks)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += attrs

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        self.chunks.append(data)


def test_the_html_summary_shows_markup_in_names_as_text_never_as_tags(summary):
    html = render_html(summary, URL)
    page = Page(html)
    assert "script" not in page.tags
    assert "img" not in page.tags
    assert "i" not in page.tags
    assert not any(name == "onerror" for name, _ in page.attrs)
    for text in (BRANCH, ROOT, CADRE, ISSUE):
        assert text in page.text, text
    assert "<script" not in html.lower()
    assert "&lt;script&gt;" in html
    assert "&amp;" in html


def test_every_branch_name_in_the_html_summary_is_escaped_chart_included(summary):
    html = render_html(summary, URL)
    # The name shows in the chart, the ranking and the weak-and-lax table: each one escaped.
    assert html.count("&lt;script&gt;") >= 3
    assert BRANCH not in html


def test_the_html_summarys_link_stays_one_attribute(summary):
    page = Page(render_html(summary, URL))
    assert ("href", URL) in page.attrs
    assert page.tags.count("a") == 1


def test_the_telegram_summary_keeps_names_literal(summary):
    # Plain text: an entity would reach the reader as "&lt;".
    text = render_md(summary, URL)
    assert BRANCH in text
    assert "&lt;" not in text
    assert "&amp;" not in text
    assert text.endswith(URL)


def test_telegram_gets_the_text_verbatim_and_without_a_parse_mode():
    text = f"{BRANCH} · {TOPIC}\n{URL}"
    with FakeTelegram() as telegram:
        channel = TelegramChannel(telegram.token, telegram.base_url)

        async def send() -> None:
            try:
                await channel.send(Chat(0, -100, "JD01", ChatRole.BRANCH), text)
            finally:
                await channel.aclose()

        asyncio.run(send())
    [sent] = telegram.sent
    assert sent.text == text
    assert "parse_mode" not in sent.params


def test_workbook_cells_hold_names_and_issues_as_literal_text(summary):
    book = load_workbook(io.BytesIO(render_xlsx(summary)))
    values = {
        cell.value
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str)
    }
    assert BRANCH in values
    assert ISSUE in values
    assert not any("&lt;" in v or "&amp;" in v for v in values)


def test_a_calendar_escapes_commas_semicolons_and_backslashes_and_keeps_markup_literal(
    national, workdays
):
    branch = Org("B01", BRANCH, OrgType.BRANCH, party_day="1FR")
    record = Meeting(
        "B01",
        frozenset({"themed_party_day"}),
        D(2026, 3, 6),
        topic=TOPIC,
        recorded=D(2026, 3, 6),
        id=7,
    )
    held = Finding("B01", None, "themed_party_day", MARCH, Status.HELD, Evidence(1, 1, (7,)))
    data = FeedInput(FeedSubject(FeedKind.BRANCH, branch), {"B01": branch}, {}, [held], [record])
    feed = build_feed(
        data, national, workdays, as_of=D(2026, 4, 20), first=D(2026, 3, 1), last=D(2026, 3, 31)
    )
    body = render(feed, stamp(feed.events, {}, dt.datetime(2026, 4, 20, 1, tzinfo=dt.UTC)))
    unfolded = body.replace(b"\r\n ", b"").decode()
    assert "含逗号\\,分号\\;反斜杠\\\\" in unfolded
    assert "&lt;" not in unfolded
    assert "&amp;" not in unfolded
    calendar = icalendar.Calendar.from_ical(body)
    assert str(calendar["X-WR-CALNAME"]).startswith(BRANCH)
    texts = [
        str(event.get(name, ""))
        for event in calendar.walk("VEVENT")
        for name in ("SUMMARY", "DESCRIPTION")
    ]
    assert any(TOPIC in text for text in texts)
    assert any(BRANCH in text for text in texts)
