"""The service end to end against a fake Telegram: catch-up, the demo's three messages, SIGTERM,
and `orglife alerts run` as a command."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.alerts.channels import ConsoleChannel, TelegramChannel
from monitor.alerts.plan import ChatRole
from monitor.alerts.store import AlertStore
from monitor.cli import main
from monitor.core.rules import RulePack
from monitor.holidays import work_calendar
from monitor.registers.readers import read_meetings
from monitor.service.runner import Service, summary_month
from monitor.store import Store
from tests.fake_telegram import FakeTelegram

BRANCH, INSPECTOR = -1001, -2002


class Clock:
    """A settable clock: the service reads it; the test moves it."""

    def __init__(self, moment: dt.datetime) -> None:
        self.moment = moment

    def __call__(self) -> dt.datetime:
        return self.moment


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), dt.UTC) - dt.timedelta(hours=8)


@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    with FakeTelegram() as fake:
        yield fake


@pytest.fixture
def linked(demo_store: Store) -> Store:
    now = at(dt.date(2026, 9, 1))
    AlertStore(demo_store).add_chat("JD01-06-01", BRANCH, ChatRole.BRANCH, now=now)
    AlertStore(demo_store).add_chat("JD01", INSPECTOR, ChatRole.INSPECTOR, now=now)
    return demo_store


class Running:
    """A Service on its own event loop in a thread, stopped like SIGTERM stops it."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.loop = asyncio.new_event_loop()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            self.loop.run_until_complete(self.service.run())
        except BaseException as exc:  # reported by stop()
            self.error = exc

    def __enter__(self) -> Running:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.loop.call_soon_threadsafe(self.service.stopping.set)
        self.thread.join(20)
        assert not self.thread.is_alive(), "the service did not stop"
        if self.error is not None:
            raise self.error


def service(store: Store, pack: RulePack, telegram: FakeTelegram, clock: Clock) -> Service:
    return Service(
        store,
        pack,
        work_calendar(warn=lambda year, hint: None),
        channel=TelegramChannel(telegram.token, telegram.base_url),
        host="127.0.0.1",
        port=0,
        clock=clock,
    )


def wait(predicate: Callable[[], bool], timeout: float = 15) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def idle(store: Store) -> bool:
    return not AlertStore(store).outbox(state="pending")


def test_after_downtime_the_service_catches_up_at_once(
    linked: Store, national: RulePack, telegram: FakeTelegram
):
    clock = Clock(at(dt.date(2026, 9, 1)))
    with Running(service(linked, national, telegram, clock)):
        assert wait(lambda: telegram.messages_to(INSPECTOR) and idle(linked))
    before = list(telegram.sent)
    assert not any("2026年第三季度" in s.text for s in before)

    # Down through October and most of November; the third quarter's grace ended on 5 October.
    clock.moment = at(dt.date(2026, 11, 24))
    with Running(service(linked, national, telegram, clock)):
        assert wait(lambda: any("2026年第三季度" in s.text for s in telegram.sent[len(before) :]))
        assert wait(lambda: idle(linked))
    after = telegram.sent[len(before) :]
    text = "\n".join(s.text for s in after)
    assert "JD01-06-01 众创园区联合党支部 · 支部党员大会 2026年第三季度" in text
    # Nothing announced before the downtime is announced again.
    old_lines = {line for s in before for line in s.text.splitlines()[1:]}
    new_lines = {line for s in after for line in s.text.splitlines()[1:]}
    assert not old_lines & new_lines


def test_the_demo_district_gets_a_reminder_a_digest_and_a_late_record_notice(
    linked: Store, national: RulePack, telegram: FakeTelegram, tmp_path: Path
):
    clock = Clock(at(dt.date(2026, 11, 24)))
    with Running(service(linked, national, telegram, clock)) as running:
        assert wait(lambda: idle(linked) and telegram.messages_to(INSPECTOR))
        inspector = telegram.messages_to(INSPECTOR)
        assert inspector[0].startswith("【组织生活未按期开展通报】")
        assert len(inspector[0].splitlines()) > 5  # one digest, many lines
        branch = telegram.messages_to(BRANCH)
        assert any(m.startswith("【组织生活到期提醒】") for m in branch)

        late = tmp_path / "late.csv"
        late.write_text(
            "组织编码,会议类型,日期,应到人数,实到人数,主题,录入日期\n"
            "JD01-06-01,支部党员大会,2026-09-25,15,12,补开三季度党员大会,2026-11-25\n",
            encoding="utf-8",
        )
        linked.import_meetings(
            read_meetings(late, today=dt.date(2026, 11, 25), historical=True), national.catalog
        )
        clock.moment = at(dt.date(2026, 11, 25))
        asyncio.run_coroutine_threadsafe(running.service.evaluate(), running.loop).result(30)
        assert wait(lambda: any("补录" in m for m in telegram.messages_to(INSPECTOR)))
    late_notices = [m for m in telegram.messages_to(INSPECTOR) if m.startswith("【补录")]
    assert "JD01-06-01 众创园区联合党支部 · 支部党员大会 2026年第三季度" in late_notices[0]
    assert any(m.startswith("【补录") for m in telegram.messages_to(BRANCH))


def test_the_first_workday_brings_last_months_summary_once(
    linked: Store, national: RulePack, telegram: FakeTelegram
):
    import io

    from openpyxl import load_workbook

    clock = Clock(at(dt.date(2026, 11, 2)))  # Monday, November's first workday, 10:00
    with Running(service(linked, national, telegram, clock)):
        assert wait(lambda: any(s.method == "sendDocument" for s in telegram.sent) and idle(linked))
    to_inspectors = [s for s in telegram.sent if s.chat_id == INSPECTOR]
    summaries = [
        s
        for s in to_inspectors
        if s.method == "sendMessage" and "2026年10月" in s.text.splitlines()[0]
    ]
    (document,) = [s for s in to_inspectors if s.method == "sendDocument"]
    assert len(summaries) == 1
    assert document.params["document"].endswith(".xlsx")
    book = load_workbook(io.BytesIO(document.params["document_bytes"]))
    assert book.sheetnames == ["汇总", "明细", "问题台账", "后补记录"]
    # Branch groups get no summary.
    assert not any(s.method == "sendDocument" for s in telegram.sent if s.chat_id == BRANCH)

    # Restarted the same day and the next: nothing again.
    count = len(telegram.sent)
    clock.moment = at(dt.date(2026, 11, 3))
    with Running(service(linked, national, telegram, clock)):
        assert wait(lambda: idle(linked))
        time.sleep(0.5)
    assert not any(s.method == "sendDocument" for s in telegram.sent[count:])


def test_alerts_run_sends_once_and_exits_zero_even_when_a_chat_fails(
    linked: Store, telegram: FakeTelegram, db_url: str
):
    env = {
        "ORGLIFE_TELEGRAM_TOKEN": telegram.token,
        "ORGLIFE_TELEGRAM_API_URL": telegram.base_url,
    }
    telegram.fail(BRANCH, status=403)
    result = CliRunner().invoke(
        main, ["--db", db_url, "alerts", "run", "--as-of", "2026-11-24"], env=env
    )
    assert result.exit_code == 0, result.output
    inspector = "\n".join(telegram.messages_to(INSPECTOR))
    assert "JD01-06-01 众创园区联合党支部 · 支部党员大会 2026年第三季度" in inspector
    assert telegram.messages_to(BRANCH) == []
    listed = CliRunner().invoke(main, ["--db", db_url, "chats", "list"])
    (branch_line,) = [line for line in listed.output.splitlines() if f"\t{BRANCH}\t" in line]
    assert "disabled" in branch_line
    count = len(telegram.sent)
    again = CliRunner().invoke(
        main, ["--db", db_url, "alerts", "run", "--as-of", "2026-11-24"], env=env
    )
    assert again.exit_code == 0, again.output
    assert len(telegram.sent) == count
    assert telegram.token not in result.output + again.output

    # --summary adds last month's summary for the inspectors, once.
    outputs = []
    for _ in range(2):
        summary = CliRunner().invoke(
            main, ["--db", db_url, "alerts", "run", "--as-of", "2026-11-24", "--summary"], env=env
        )
        assert summary.exit_code == 0, summary.output
        outputs.append(summary.output)
    documents = [s for s in telegram.sent[count:] if s.method == "sendDocument"]
    assert [d.chat_id for d in documents] == [INSPECTOR]
    assert "月度通报 1" in outputs[0]
    assert "月度通报" not in outputs[1]


def test_serve_stops_cleanly_on_sigterm_and_never_logs_the_token(
    linked: Store, telegram: FakeTelegram, db_url: str, tmp_path: Path
):
    env = {
        **os.environ,
        "ORGLIFE_DATABASE_URL": db_url,
        "ORGLIFE_TELEGRAM_TOKEN": telegram.token,
        "ORGLIFE_TELEGRAM_API_URL": telegram.base_url,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "monitor", "--log-format", "json", "serve", "--port", "0"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert wait(lambda: bool(telegram.messages_to(INSPECTOR)) and idle(linked), timeout=30)
        assert telegram.commands  # the bot registered its menu
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert '"event": "stopped"' in err
    assert telegram.token not in out + err
    assert not any(r["claimed_by"] for r in AlertStore(linked).outbox())


def shanghai(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return at(day, hour) + dt.timedelta(minutes=minute)


@pytest.mark.parametrize(
    ("moment", "month"),
    [
        # November 2026 starts on a Sunday: the summary is due on Monday the 2nd at 09:00.
        (shanghai(dt.date(2026, 11, 1), 10), None),
        (shanghai(dt.date(2026, 11, 2), 8, 59), None),
        (shanghai(dt.date(2026, 11, 2), 9), "2026-10"),
        (shanghai(dt.date(2026, 11, 20), 15), "2026-10"),
        # National Day: October's first workday is the 8th.
        (shanghai(dt.date(2026, 10, 7), 10), None),
        (shanghai(dt.date(2026, 10, 8), 9), "2026-09"),
        # January 2027 (provisional calendar): New Year's Day, then the weekend.
        (shanghai(dt.date(2027, 1, 1), 10), None),
        (shanghai(dt.date(2027, 1, 4), 9, 30), "2026-12"),
    ],
)
def test_the_monthly_summary_is_due_from_the_first_workday_at_nine(
    moment: dt.datetime, month: str | None
) -> None:
    assert summary_month(moment, work_calendar(warn=lambda year, hint: None)) == month


@pytest.mark.parametrize(
    ("moment", "month"),
    [
        # Four workdays after Monday 2 November: Friday the 6th, after October's grace (5th).
        (shanghai(dt.date(2026, 11, 5), 10), None),
        (shanghai(dt.date(2026, 11, 6), 8, 59), None),
        (shanghai(dt.date(2026, 11, 6), 9), "2026-10"),
        # October: the 8th (first workday), then 9th, 10th (a make-up Saturday), 12th, 13th.
        (shanghai(dt.date(2026, 10, 12), 10), None),
        (shanghai(dt.date(2026, 10, 13), 9), "2026-09"),
    ],
)
def test_the_summary_can_wait_some_workdays_for_the_grace_to_end(
    moment: dt.datetime, month: str | None
) -> None:
    workdays = work_calendar(warn=lambda year, hint: None)
    assert summary_month(moment, workdays, delay=4) == month


def test_the_dashboards_are_warmed_after_midnight_only_when_asked(
    store: Store, national: RulePack
) -> None:
    """`orglife serve` warms the top-level dashboards at 00:05 (every verdict changes with the
    day); the tests' services, which do not ask, schedule no such job."""

    def jobs(warm: bool) -> dict[str, str]:
        service = Service(
            store,
            national,
            work_calendar(warn=lambda year, hint: None),
            channel=ConsoleChannel(),
            host="127.0.0.1",
            port=0,
            warm_dashboards=warm,
        )
        return {job.id: str(job.trigger) for job in service._scheduler().get_jobs()}

    assert "warm_dashboards" not in jobs(False)
    trigger = jobs(True)["warm_dashboards"]
    assert "hour='0'" in trigger
    assert "minute='5'" in trigger
