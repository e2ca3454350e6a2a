"""Fixed-day schedules: the themed Party day moved off holidays as the official calendar moves."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from monitor.core.domain import Org, OrgType
from monitor.core.errors import OrglifeError
from monitor.core.rules import Schedule, Shift
from monitor.core.schedule import SHANGHAI, nominal_day, scheduled_day
from monitor.core.workdays import WorkCalendar
from monitor.holidays import work_calendar

D = dt.date


@pytest.fixture
def workdays() -> WorkCalendar:
    return work_calendar((), warn=lambda year, hint: None)


def branch(party_day: str | None) -> Org:
    return Org("B1", "幸福社区党支部", OrgType.BRANCH, party_day=party_day)


@pytest.mark.parametrize(
    ("spec", "year", "month", "day"),
    [
        ("15", 2026, 2, D(2026, 2, 15)),
        ("31", 2026, 2, D(2026, 2, 28)),
        ("1FR", 2026, 1, D(2026, 1, 2)),
        ("-1FR", 2026, 11, D(2026, 11, 27)),
        ("2MO", 2026, 3, D(2026, 3, 9)),
        ("5FR", 2026, 2, D(2026, 2, 27)),
    ],
)
def test_a_day_spec_names_a_day_of_the_month(spec, year, month, day):
    assert nominal_day(spec, year, month) == day


def test_a_bad_day_spec_is_a_clear_error():
    with pytest.raises(OrglifeError, match="1XX"):
        nominal_day("1XX", 2026, 1)


def test_a_first_friday_on_new_year_moves_to_the_make_up_sunday(workdays):
    # 2 January 2026 is a holiday; Sunday 4 January is an official make-up workday (调休).
    due = scheduled_day(Schedule(), branch("1FR"), 2026, 1, workdays)
    assert (due.nominal, due.day) == (D(2026, 1, 2), D(2026, 1, 4))
    assert due.moved_from_holiday == "元旦"
    assert due.start == dt.datetime(2026, 1, 4, 9, 0, tzinfo=SHANGHAI)
    assert not due.provisional


def test_a_first_friday_in_golden_week_moves_past_national_day(workdays):
    due = scheduled_day(Schedule(), branch("1FR"), 2026, 10, workdays)
    assert (due.nominal, due.day) == (D(2026, 10, 2), D(2026, 10, 8))
    assert due.moved_from_holiday == "国庆节"


def test_the_fifteenth_in_spring_festival_moves_after_the_holiday(workdays):
    due = scheduled_day(Schedule(), branch("15"), 2026, 2, workdays)
    assert (due.nominal, due.day) == (D(2026, 2, 15), D(2026, 2, 24))
    assert due.moved_from_holiday == "春节"


def test_a_pack_may_move_it_to_the_previous_workday_instead(workdays):
    earlier = Schedule(shift=Shift.PREVIOUS_WORKDAY)
    due = scheduled_day(earlier, branch("15"), 2026, 2, workdays)
    assert due.day == D(2026, 2, 14)  # the Saturday make-up workday before Spring Festival


def test_a_weekend_day_moves_to_monday(workdays):
    due = scheduled_day(Schedule(), branch("15"), 2026, 3, workdays)
    assert (due.nominal, due.day, due.moved_from_holiday) == (
        D(2026, 3, 15),
        D(2026, 3, 16),
        "周末",
    )


def test_an_org_without_a_day_uses_the_rule_default(workdays):
    due = scheduled_day(Schedule(default_day="2MO"), branch(None), 2026, 3, workdays)
    assert due.day == D(2026, 3, 9)


def test_a_year_without_official_data_is_scheduled_provisionally(workdays, tmp_path: Path):
    # 1 October 2027 is a Friday and a statutory holiday (国庆, 1-3 October): Monday 4 October.
    due = scheduled_day(Schedule(), branch("1FR"), 2027, 10, workdays)
    assert (due.nominal, due.day) == (D(2027, 10, 1), D(2027, 10, 4))
    assert due.provisional
    announced = tmp_path / "2027.yaml"
    announced.write_text(
        "year: 2027\nsource: 通知\nholidays:\n"
        "  - {name: 国庆节, from: 2027-10-01, to: 2027-10-07}\n"
        "workdays:\n  - 2027-10-09\n",
        encoding="utf-8",
    )
    official = scheduled_day(Schedule(), branch("1FR"), 2027, 10, work_calendar([tmp_path]))
    assert official.day == D(2027, 10, 8)
    assert not official.provisional


def test_an_orgs_own_time_replaces_the_rule_default(workdays):
    afternoon = Org(
        "B1",
        "幸福社区党支部",
        OrgType.BRANCH,
        party_day="1FR",
        party_time=(dt.time(14, 30), dt.time(16, 30)),
    )
    due = scheduled_day(Schedule(), afternoon, 2026, 1, workdays)
    assert due.day == D(2026, 1, 4)  # still moved off the holiday like any other
    assert (due.start, due.end) == (
        dt.datetime(2026, 1, 4, 14, 30, tzinfo=SHANGHAI),
        dt.datetime(2026, 1, 4, 16, 30, tzinfo=SHANGHAI),
    )


def test_an_orgs_own_time_applies_on_the_rule_default_day_too(workdays):
    timed = Org("B1", "支部", OrgType.BRANCH, party_time=(dt.time(8, 0), dt.time(10, 0)))
    due = scheduled_day(Schedule(default_day="2MO"), timed, 2026, 3, workdays)
    assert (due.day, due.start.time(), due.end.time()) == (
        D(2026, 3, 9),
        dt.time(8, 0),
        dt.time(10, 0),
    )


def test_a_rule_with_its_own_day_keeps_its_own_time(workdays):
    timed = Org(
        "B1", "支部", OrgType.BRANCH, party_day="1FR", party_time=(dt.time(14, 30), dt.time(16, 30))
    )
    fixed = Schedule(day="10", start=dt.time(15, 0), end=dt.time(17, 0))
    due = scheduled_day(fixed, timed, 2026, 3, workdays)
    assert due.day == D(2026, 3, 10)
    assert (due.start, due.end) == (
        dt.datetime(2026, 3, 10, 15, 0, tzinfo=SHANGHAI),
        dt.datetime(2026, 3, 10, 17, 0, tzinfo=SHANGHAI),
    )


def test_without_a_time_of_its_own_an_org_meets_at_the_rule_time(workdays):
    due = scheduled_day(
        Schedule(start=dt.time(9, 30), end=dt.time(11, 0)), branch("15"), 2026, 4, workdays
    )
    assert (due.start.time(), due.end.time()) == (dt.time(9, 30), dt.time(11, 0))
