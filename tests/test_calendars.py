"""Feeds from the store: stable bytes, SEQUENCE on change, tokens, and the CLI contract."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import icalendar
import pytest
from click.testing import CliRunner, Result

from monitor.calendar.service import UnknownSubjectError, generate
from monitor.calendar.store import FeedStore
from monitor.cli import main
from monitor.core.rules import RulePack
from monitor.core.workdays import WorkCalendar
from monitor.demo import SNAPSHOT_DAY, demo_files
from monitor.holidays import work_calendar
from monitor.registers.readers import read_meetings, read_members, read_orgs
from monitor.store import Store

AS_OF = dt.date(2026, 11, 20)
FIRST, LAST = dt.date(2026, 1, 1), dt.date(2027, 3, 31)
NOW = dt.datetime(2026, 11, 20, 1, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def workdays() -> WorkCalendar:
    return work_calendar(warn=lambda year, hint: None)


def feed_bytes(
    store: Store, pack: RulePack, workdays: WorkCalendar, code: str, now: dt.datetime = NOW
) -> bytes:
    rendered = generate(store, pack, workdays, code, as_of=AS_OF, first=FIRST, last=LAST, now=now)
    return rendered.body


def vevents(body: bytes) -> dict[str, icalendar.Event]:
    return {str(e["UID"]): e for e in icalendar.Calendar.from_ical(body).walk("VEVENT")}


def test_unchanged_data_gives_byte_identical_feeds(
    demo_store: Store, national: RulePack, workdays: WorkCalendar
):
    for code in ("JD01-01", "JD01-01-G1", "M0061", "JD01"):
        first = feed_bytes(demo_store, national, workdays, code)
        again = feed_bytes(demo_store, national, workdays, code, now=NOW + dt.timedelta(days=2))
        assert first == again, code
        assert b"DTSTAMP:20261120T010000Z" in first


def test_one_new_record_changes_only_the_events_it_touches(
    demo_store: Store, national: RulePack, workdays: WorkCalendar, tmp_path: Path
):
    before = vevents(feed_bytes(demo_store, national, workdays, "JD01-03"))
    record = tmp_path / "late.csv"
    record.write_text(
        "组织编码,会议类型,日期,应到人数,实到人数,主题\n"
        "JD01-03,支部委员会会议,2026-11-18,5,5,研究年底工作\n",
        encoding="utf-8",
    )
    demo_store.import_meetings(read_meetings(record, today=AS_OF), national.catalog)
    later = NOW + dt.timedelta(hours=3)
    after = vevents(feed_bytes(demo_store, national, workdays, "JD01-03", now=later))

    added = set(after) - set(before)
    assert len(added) == 1
    (new_uid,) = added
    assert new_uid.startswith("record.JD01-03.")
    assert "研究年底工作" in str(after[new_uid]["SUMMARY"])
    assert set(before) - set(after) == set()
    changed = {u for u in before if before[u].to_ical() != after[u].to_ical()}
    assert changed == {"branch_committee_meeting.2026-11.JD01-03@orglife"}
    (uid,) = changed
    assert after[uid]["SEQUENCE"] == before[uid]["SEQUENCE"] + 1
    assert after[uid]["LAST-MODIFIED"].dt == later
    assert after[uid]["DTSTAMP"].dt == later
    assert str(after[uid]["SUMMARY"]) == "本月支部委员会会议已召开"
    assert "VALARM" in before[uid].to_ical().decode()
    assert "VALARM" not in after[uid].to_ical().decode()


def test_a_changed_party_day_moves_the_session_and_raises_its_sequence(
    demo_store: Store, national: RulePack, workdays: WorkCalendar, tmp_path: Path
):
    before = vevents(feed_bytes(demo_store, national, workdays, "JD01-02"))
    orgs = tmp_path / "orgs.csv"
    source = demo_files()["orgs"].read_text(encoding="utf-8").splitlines()
    header, rows = source[0], [r for r in source[1:] if r.startswith("JD01-02,")]
    columns = header.split(",")
    cells = rows[0].split(",")
    cells[columns.index("主题党日")] = "-1FR"
    orgs.write_text(f"{header}\n{','.join(cells)}\n", encoding="utf-8")
    demo_store.import_orgs(read_orgs(orgs))
    after = vevents(feed_bytes(demo_store, national, workdays, "JD01-02"))
    december = "themed_party_day.2026-12.JD01-02@orglife"
    assert after[december]["DTSTART"].dt.date() == dt.date(2026, 12, 25)
    assert before[december]["DTSTART"].dt.date() != dt.date(2026, 12, 25)
    assert after[december]["SEQUENCE"] == 1


def test_codes_that_have_no_feed_are_refused_with_a_reason(
    demo_store: Store, national: RulePack, workdays: WorkCalendar
):
    with pytest.raises(UnknownSubjectError, match="既不是台账中的组织编码，也不是党员编号"):
        feed_bytes(demo_store, national, workdays, "NOPE")
    with pytest.raises(UnknownSubjectError, match="不是领导干部"):
        feed_bytes(demo_store, national, workdays, "M0001")


def test_tokens_are_long_random_and_rotate(demo_store: Store):
    first = FeedStore(demo_store).token("JD01-01", now=NOW)
    assert FeedStore(demo_store).token("JD01-01", now=NOW) == first
    assert len(first.token) >= 22  # at least 128 bits of URL-safe base64
    assert FeedStore(demo_store).subject_for(first.token) == "JD01-01"
    rotated = FeedStore(demo_store).rotate("JD01-01", now=NOW)
    assert rotated.token != first.token
    assert FeedStore(demo_store).subject_for(first.token) is None
    assert FeedStore(demo_store).subject_for(rotated.token) == "JD01-01"
    assert FeedStore(demo_store).revoke("JD01-01", now=NOW)
    assert FeedStore(demo_store).subject_for(rotated.token) is None
    assert not FeedStore(demo_store).revoke("JD01-01", now=NOW)
    assert FeedStore(demo_store).tokens() == []
    assert len(FeedStore(demo_store).tokens(include_revoked=True)) == 2


def test_every_import_bumps_the_revision(store: Store, national: RulePack):
    files = demo_files()
    revisions = [store.revision()]
    store.import_orgs(read_orgs(files["orgs"]))
    revisions.append(store.revision())
    store.import_members(read_members(files["members"]))
    revisions.append(store.revision())
    store.import_meetings(
        read_meetings(files["meetings"], today=SNAPSHOT_DAY, historical=True), national.catalog
    )
    revisions.append(store.revision())
    assert revisions == [0, 1, 2, 3]


# --- the command line ---------------------------------------------------------------------


@pytest.fixture
def cli_db(tmp_path: Path) -> str:
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    files = demo_files()
    for args in (
        ("orgs", str(files["orgs"])),
        ("members", str(files["members"])),
        ("meetings", str(files["meetings"]), "--today", SNAPSHOT_DAY.isoformat()),
    ):
        result = run("--db", db, "import", *args)
        assert result.exit_code == 0, result.output
    return db


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_calendar_writes_the_feed_under_calendars_feeds_by_default(
    cli_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.chdir(tmp_path)
    result = run(
        "--db", cli_db, "calendar", "JD01-01", "--as-of", "2026-11-20",
        "--from", "2026-01-01", "--to", "2027-03-31",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    path = tmp_path / "calendars" / "feeds" / "JD01-01.ics"
    assert path.is_file()
    events = vevents(path.read_bytes())
    days = {
        u: e["DTSTART"].dt
        for u, e in events.items()
        if "主题党日" in str(e["SUMMARY"]) and not u.startswith("record.")
    }
    # After --as-of the scheduled day is there without any record; the demo branch meets on
    # the 15th, moved off weekends and holidays.
    assert days["themed_party_day.2026-12.JD01-01@orglife"] == dt.datetime(
        2026, 12, 15, 9, tzinfo=days["themed_party_day.2026-12.JD01-01@orglife"].tzinfo
    )
    assert days["themed_party_day.2027-02.JD01-01@orglife"].date() == dt.date(2027, 2, 15)
    assert {d.month for d in days.values() if d.year == 2027} == {1, 2, 3}


def test_the_commands_read_holiday_files_from_orglife_holidays_dir(cli_db: str, tmp_path: Path):
    # Monday 15 March 2027 made a day off by a (made-up) arrangement in the folder the
    # variable names: the branch's themed Party day moves to the next workday.
    folder = tmp_path / "holidays"
    folder.mkdir()
    (folder / "2027.yaml").write_text(
        "year: 2027\nsource: 测试用安排\nholidays:\n  - {name: 测试假日, date: 2027-03-15}\n",
        encoding="utf-8",
    )
    args = ["--db", cli_db, "calendar", "JD01-01", "--as-of", "2026-11-20"]
    args += ["--from", "2027-03-01", "--to", "2027-03-31", "-o", "-"]
    days = {}
    for env in ({}, {"ORGLIFE_HOLIDAYS_DIR": str(folder)}):
        result = run(*args, env=env)
        assert result.exit_code == 0, result.output
        event = vevents(result.stdout_bytes)["themed_party_day.2027-03.JD01-01@orglife"]
        days[bool(env)] = event["DTSTART"].dt.date()
    assert days == {False: dt.date(2027, 3, 15), True: dt.date(2027, 3, 16)}


def test_calendar_to_stdout_and_for_a_cadre(cli_db: str):
    result = run(
        "--db", cli_db, "calendar", "M0061", "--as-of", "2026-11-20",
        "--from", "2026-10-01", "--to", "2026-12-31", "-o", "-",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    events = vevents(result.stdout_bytes)
    assert "dual_org_life.2026-Q4.M0061@orglife" in events
    assert any(u.startswith("themed_party_day.2026-12.JD01-03.M0061") for u in events)
    cal = icalendar.Calendar.from_ical(result.stdout_bytes)
    assert "双重组织生活" in str(cal["X-WR-CALNAME"])


def test_calendar_errors_are_one_line(cli_db: str):
    result = run("--db", cli_db, "calendar", "NOPE", "--as-of", "2026-11-20")
    assert result.exit_code == 1
    assert "既不是台账中的组织编码，也不是党员编号" in result.stderr
    result = run(
        "--db", cli_db, "calendar", "JD01-01", "--from", "2026-05-01", "--to", "2026-04-01"
    )
    assert result.exit_code == 2
    assert "早于 --from" in result.stderr


def test_feeds_url_prints_the_url_first_and_rotate_replaces_it(cli_db: str):
    env = {"ORGLIFE_PUBLIC_URL": "https://orglife.example.cn/"}
    first = run("--db", cli_db, "feeds", "url", "JD01-01", env=env)
    assert first.exit_code == 0, first.output
    url = first.stdout.splitlines()[0]
    assert re.fullmatch(r"https://orglife\.example\.cn/feeds/[A-Za-z0-9_-]{32}\.ics", url)
    assert first.stdout.splitlines()[1] == url.replace("https://", "webcal://")
    assert run("--db", cli_db, "feeds", "url", "JD01-01", env=env).stdout.splitlines()[0] == url
    rotated = run("--db", cli_db, "feeds", "rotate", "JD01-01", env=env).stdout.splitlines()[0]
    assert rotated != url
    assert rotated.startswith("https://orglife.example.cn/feeds/")
    cadre = run("--db", cli_db, "feeds", "url", "M0061").stdout.splitlines()[0]
    assert cadre.startswith("http://127.0.0.1:8080/feeds/")
    listed = run("--db", cli_db, "feeds", "list", env={"COLUMNS": "200"})
    assert "JD01-01" in listed.stdout
    assert "M0061" in listed.stdout
    assert rotated.rsplit("/", 1)[1].removesuffix(".ics") not in listed.stdout
    revoked = run("--db", cli_db, "feeds", "revoke", "JD01-01")
    assert "已作废" in revoked.stdout


def test_feeds_url_refuses_a_bad_public_url(cli_db: str):
    result = run("--db", cli_db, "feeds", "url", "JD01-01", env={"ORGLIFE_PUBLIC_URL": "ftp://x"})
    assert result.exit_code == 1
    assert "ORGLIFE_PUBLIC_URL" in result.stderr
