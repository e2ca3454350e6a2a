"""Working days: official data, statutory fallback, holiday files and navigation."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import chinese_calendar
import pytest
import structlog
from lunar_python import Lunar, Solar

from monitor.core.errors import HolidayDataError
from monitor.core.workdays import WorkCalendar, YearArrangement
from monitor.holidays import (
    default_holiday_dirs,
    read_holiday_file,
    statutory_holidays,
    work_calendar,
)

D = dt.date
REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "calendars" / "holidays" / "2027.yaml.example"

VALID_2027 = """\
year: 2027
source: 国务院办公厅关于2027年部分节假日安排的通知
holidays:
  - {name: 元旦, from: 2027-01-01, to: 2027-01-03}
  - {name: 春节, from: 2027-02-05, to: 2027-02-13}
  - {name: 清明节, date: 2027-04-05}
workdays:
  - 2027-02-20
"""


def days_of(year: int) -> list[dt.date]:
    first = D(year, 1, 1)
    return [first + dt.timedelta(days=i) for i in range((D(year, 12, 31) - first).days + 1)]


def span(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def lunar_of(day: dt.date) -> Lunar:
    return Solar.fromYmd(day.year, day.month, day.day).getLunar()


@pytest.fixture
def warnings() -> list[tuple[int, str]]:
    return []


@pytest.fixture
def calendar(warnings: list[tuple[int, str]]) -> WorkCalendar:
    """A calendar without holiday files: chinesecalendar, then the statutory fallback."""
    return work_calendar(warn=lambda year, hint: warnings.append((year, hint)))


@pytest.fixture
def holiday_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "holidays"
    folder.mkdir()
    return folder


def write_year(folder: Path, year: int, text: str) -> Path:
    path = folder / f"{year}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- official data


def test_it_counts_a_make_up_sunday_as_a_workday(calendar: WorkCalendar) -> None:
    assert D(2026, 1, 4).weekday() == 6
    assert chinese_calendar.is_workday(D(2026, 1, 4))
    assert calendar.is_workday(D(2026, 1, 4))


def test_it_counts_the_make_up_saturdays_of_spring_festival_2026_as_workdays(
    calendar: WorkCalendar,
) -> None:
    for day in (D(2026, 2, 14), D(2026, 2, 28)):
        assert day.weekday() == 5
        assert calendar.is_workday(day)
        assert calendar.holiday_name(day) is None


def test_spring_festival_2026_runs_from_15_to_23_february(calendar: WorkCalendar) -> None:
    for day in span(D(2026, 2, 15), D(2026, 2, 23)):
        assert not calendar.is_workday(day)
        assert calendar.holiday_name(day) == "春节"
    assert calendar.is_workday(D(2026, 2, 13))
    assert calendar.is_workday(D(2026, 2, 24))


def test_national_day_2026_runs_from_1_to_7_october_with_two_make_up_days(
    calendar: WorkCalendar,
) -> None:
    for day in span(D(2026, 10, 1), D(2026, 10, 7)):
        assert not calendar.is_workday(day)
        assert calendar.holiday_name(day) == "国庆节"
    assert calendar.is_workday(D(2026, 9, 20))  # Sunday
    assert calendar.is_workday(D(2026, 10, 10))  # Saturday
    assert calendar.is_workday(D(2026, 10, 8))


def test_it_names_holidays_with_the_statutes_chinese_names(calendar: WorkCalendar) -> None:
    assert calendar.holiday_name(D(2026, 1, 1)) == "元旦"
    assert calendar.holiday_name(D(2026, 4, 6)) == "清明节"
    assert calendar.holiday_name(D(2026, 5, 5)) == "劳动节"
    assert calendar.holiday_name(D(2026, 6, 19)) == "端午节"
    assert calendar.holiday_name(D(2026, 9, 25)) == "中秋节"
    assert calendar.holiday_name(D(2025, 10, 6)) == "中秋节"
    victory_day = "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日"  # a one-off holiday
    assert calendar.holiday_name(D(2015, 9, 3)) == victory_day


def test_it_gives_no_name_to_ordinary_days_weekends_and_make_up_days(
    calendar: WorkCalendar,
) -> None:
    assert calendar.holiday_name(D(2026, 3, 3)) is None
    assert calendar.holiday_name(D(2026, 3, 7)) is None
    assert calendar.holiday_name(D(2026, 1, 4)) is None


def test_official_years_are_neither_provisional_nor_warned_about(
    calendar: WorkCalendar, warnings: list[tuple[int, str]]
) -> None:
    for year in (2004, 2025, 2026):
        assert not calendar.is_provisional(year)
        assert calendar.source(year).startswith("chinesecalendar")
    assert warnings == []


@pytest.mark.parametrize("year", range(2004, 2027))
def test_it_agrees_with_chinesecalendar_on_every_day_of_the_official_years(
    calendar: WorkCalendar, year: int
) -> None:
    disagreements = [
        day for day in days_of(year) if calendar.is_workday(day) != chinese_calendar.is_workday(day)
    ]
    assert disagreements == []


def test_it_rejects_a_datetime_instead_of_a_date(calendar: WorkCalendar) -> None:
    with pytest.raises(TypeError, match="Asia/Shanghai"):
        calendar.is_workday(dt.datetime(2026, 1, 1, 9, 0))


# --------------------------------------------------------------------------- statutory holidays


def test_it_computes_the_statutory_holidays_of_2027() -> None:
    assert statutory_holidays(2027) == {
        D(2027, 1, 1): "元旦",
        D(2027, 2, 5): "春节",
        D(2027, 2, 6): "春节",
        D(2027, 2, 7): "春节",
        D(2027, 2, 8): "春节",
        D(2027, 4, 5): "清明节",
        D(2027, 5, 1): "劳动节",
        D(2027, 5, 2): "劳动节",
        D(2027, 6, 9): "端午节",
        D(2027, 9, 15): "中秋节",
        D(2027, 10, 1): "国庆节",
        D(2027, 10, 2): "国庆节",
        D(2027, 10, 3): "国庆节",
    }


def test_spring_festival_2027_starts_on_除夕_which_is_the_29th_of_a_short_腊月() -> None:
    eve = lunar_of(D(2027, 2, 5))
    assert (eve.getMonth(), eve.getDay()) == (12, 29)
    new_year = lunar_of(D(2027, 2, 6))
    assert (new_year.getMonth(), new_year.getDay()) == (1, 1)
    spring = [day for day, name in statutory_holidays(2027).items() if name == "春节"]
    assert spring == span(D(2027, 2, 5), D(2027, 2, 8))


@pytest.mark.parametrize(
    ("year", "eve", "lunar_day"),
    [
        (2026, D(2026, 2, 16), 29),
        (2027, D(2027, 2, 5), 29),
        (2028, D(2028, 1, 25), 29),
        (2029, D(2029, 2, 12), 29),
        (2030, D(2030, 2, 2), 30),
        (2031, D(2031, 1, 22), 29),
    ],
)
def test_除夕_is_the_last_day_of_腊月_whether_it_has_29_or_30_days(
    year: int, eve: dt.date, lunar_day: int
) -> None:
    lunar = lunar_of(eve)
    assert (lunar.getMonth(), lunar.getDay()) == (12, lunar_day)
    assert lunar_of(eve + dt.timedelta(days=1)).getDay() == 1
    spring = [day for day, name in statutory_holidays(year).items() if name == "春节"]
    assert spring == span(eve, eve + dt.timedelta(days=3))


@pytest.mark.parametrize("year", [2025, 2026])
def test_every_statutory_holiday_is_a_day_off_in_the_official_data(year: int) -> None:
    # Since 2025 the official arrangements follow the 2024 revision, so each statutory day
    # must be a day off; a failure means the lunar or solar-term arithmetic is wrong.
    holidays = statutory_holidays(year)
    assert len(holidays) == 13
    assert [day for day in holidays if chinese_calendar.is_workday(day)] == []


@pytest.mark.parametrize("year", range(2008, 2027))
def test_lunar_and_solar_term_festivals_match_the_official_data_since_2008(year: int) -> None:
    # 清明, 端午 and 中秋 became days off in 2008, and 初一 to 初三 have always been; 除夕 and
    # 2 May were not statutory before 2025, so they are left out here.
    festivals = {"春节", "清明节", "端午节", "中秋节"}
    holidays = statutory_holidays(year)
    first_day = min(day for day, name in holidays.items() if name == "春节") + dt.timedelta(days=1)
    # A name like 国庆节、中秋节 (2009, 2020) counts as 中秋节.
    days = [
        day
        for day, name in holidays.items()
        if festivals & set(name.split("、")) and day >= first_day
    ]
    assert len(days) == 6
    assert [day for day in days if chinese_calendar.is_workday(day)] == []


def test_qingming_agrees_with_chinesecalendars_solar_term_formula_from_1949_to_2099() -> None:
    # Two independent methods: lunar_python's astronomical tables and the 寿星 formula.
    mismatches = []
    for year in range(1949, 2100):
        (qingming,) = [day for day, name in statutory_holidays(year).items() if name == "清明节"]
        april = chinese_calendar.get_solar_terms(D(year, 4, 1), D(year, 4, 30))
        formula = [day for day, term in april if term == "清明"]
        if formula != [qingming]:
            mismatches.append((year, qingming, formula))
    assert mismatches == []


def test_mid_autumn_on_national_day_gets_both_names() -> None:
    holidays = statutory_holidays(2020)
    assert holidays[D(2020, 10, 1)] == "国庆节、中秋节"
    assert len(holidays) == 12


def test_statutory_holidays_leave_weekends_out() -> None:
    holidays = statutory_holidays(2027)
    assert D(2027, 1, 2) not in holidays  # a Saturday next to 元旦
    assert D(2027, 2, 6).weekday() == 5
    assert D(2027, 2, 6) in holidays  # but a festival day on a weekend stays


def test_statutory_holidays_returns_a_fresh_dict_each_time() -> None:
    statutory_holidays(2027).clear()
    assert len(statutory_holidays(2027)) == 13


def test_statutory_holidays_refuses_years_before_the_first_放假办法() -> None:
    with pytest.raises(ValueError, match="1948"):
        statutory_holidays(1948)


# --------------------------------------------------------------------------- provisional years


def test_2027_is_provisional_and_warns_exactly_once_after_many_calls(
    calendar: WorkCalendar, warnings: list[tuple[int, str]]
) -> None:
    for _ in range(3):
        for day in days_of(2027):
            calendar.is_workday(day)
            calendar.holiday_name(day)
    assert calendar.is_provisional(2027)
    assert calendar.next_workday(D(2027, 10, 1)) == D(2027, 10, 4)
    assert len(warnings) == 1
    year, hint = warnings[0]
    assert year == 2027
    assert "2027.yaml" in hint
    assert "README" in hint


def test_each_provisional_year_warns_once_per_calendar(
    warnings: list[tuple[int, str]],
) -> None:
    first = work_calendar(warn=lambda year, hint: warnings.append((year, hint)))
    first.is_workday(D(2027, 3, 1))
    first.is_workday(D(2028, 3, 1))
    first.is_workday(D(2027, 3, 2))
    second = work_calendar(warn=lambda year, hint: warnings.append((year, hint)))
    second.is_workday(D(2027, 3, 1))
    assert [year for year, _ in warnings] == [2027, 2028, 2027]


def test_a_provisional_year_has_weekends_and_statutory_holidays_off_and_nothing_else(
    calendar: WorkCalendar,
) -> None:
    holidays = statutory_holidays(2027)
    for day in days_of(2027):
        expected = day.weekday() < 5 and day not in holidays
        assert calendar.is_workday(day) == expected, day
    assert calendar.holiday_name(D(2027, 2, 5)) == "春节"
    # No 补假 or 调休 can be known: the Monday after a weekend 国庆 is a working day.
    assert calendar.is_workday(D(2027, 10, 4))


def test_the_default_warning_goes_to_structlog() -> None:
    with structlog.testing.capture_logs() as logs:
        calendar = work_calendar()
        calendar.is_workday(D(2027, 1, 4))
        calendar.is_workday(D(2027, 1, 5))
    assert len(logs) == 1
    assert logs[0]["event"] == "provisional_holiday_calendar"
    assert logs[0]["log_level"] == "warning"
    assert logs[0]["year"] == 2027
    assert "2027.yaml" in logs[0]["hint"]


# --------------------------------------------------------------------------- holiday files


def test_a_holiday_file_makes_2027_announced_and_its_days_win(
    holiday_dir: Path, warnings: list[tuple[int, str]]
) -> None:
    path = write_year(holiday_dir, 2027, VALID_2027)
    calendar = work_calendar([holiday_dir], warn=lambda year, hint: warnings.append((year, hint)))
    assert not calendar.is_provisional(2027)
    assert calendar.is_workday(D(2027, 2, 20))  # make-up Saturday
    assert not calendar.is_workday(D(2027, 2, 12))  # a Friday inside 春节
    assert calendar.holiday_name(D(2027, 2, 12)) == "春节"
    assert calendar.holiday_name(D(2027, 1, 3)) == "元旦"
    # The file is the whole arrangement: the statutory 劳动节 it leaves out is a working day.
    assert calendar.is_workday(D(2027, 5, 3))
    assert str(path) in calendar.source(2027)
    assert warnings == []


def test_a_holiday_file_overrides_chinesecalendar(holiday_dir: Path) -> None:
    write_year(
        holiday_dir,
        2026,
        "year: 2026\nsource: corrected\nholidays:\n  - {name: 元旦, date: 2026-01-01}\n",
    )
    calendar = work_calendar([holiday_dir])
    assert not calendar.is_workday(D(2026, 1, 4))  # a plain Sunday now
    assert calendar.is_workday(D(2026, 1, 2))
    assert calendar.is_workday(D(2026, 2, 16))
    assert calendar.holiday_name(D(2026, 2, 16)) is None


def test_the_earlier_holiday_folder_wins(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    write_year(first, 2027, VALID_2027)
    write_year(second, 2027, VALID_2027.replace("  - 2027-02-20\n", ""))
    assert work_calendar([first, second]).is_workday(D(2027, 2, 20))
    assert not work_calendar([second, first]).is_workday(D(2027, 2, 20))


def test_holiday_files_are_read_lazily_and_only_once(holiday_dir: Path) -> None:
    write_year(holiday_dir, 2027, VALID_2027)
    write_year(holiday_dir, 2028, "this is: [not a holiday file")
    calendar = work_calendar([holiday_dir])
    assert calendar.is_workday(D(2027, 2, 20))  # the broken 2028 file is not read for 2027
    (holiday_dir / "2027.yaml").unlink()
    assert calendar.is_workday(D(2027, 2, 20))
    with pytest.raises(HolidayDataError):
        calendar.is_workday(D(2028, 1, 3))


def test_the_workdays_key_may_be_left_out_or_empty(holiday_dir: Path) -> None:
    base = VALID_2027.split("workdays:")[0]
    for text in (base, base + "workdays:\n", base + "workdays: []\n"):
        write_year(holiday_dir, 2027, text)
        arrangement = read_holiday_file(holiday_dir / "2027.yaml")
        assert arrangement.workdays == frozenset()


def test_the_shipped_example_is_a_valid_2027_file(holiday_dir: Path) -> None:
    shutil.copy(EXAMPLE, holiday_dir / "2027.yaml")
    arrangement = read_holiday_file(holiday_dir / "2027.yaml")
    assert arrangement.year == 2027
    # It must honour the statute: every statutory day of 2027 is off in it.
    assert set(statutory_holidays(2027)) <= set(arrangement.holidays)
    assert all(day.weekday() >= 5 for day in arrangement.workdays)
    calendar = work_calendar([holiday_dir])
    assert not calendar.is_provisional(2027)
    assert calendar.is_workday(D(2027, 2, 20))


def test_the_example_file_is_not_loaded_under_its_own_name(holiday_dir: Path) -> None:
    shutil.copy(EXAMPLE, holiday_dir / EXAMPLE.name)
    assert work_calendar([holiday_dir], warn=lambda year, hint: None).is_provisional(2027)


HOLIDAY = "year: 2027\nsource: notice\nholidays:\n"


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        pytest.param("year: [2027\n", ["不是有效的 YAML", "行"], id="yaml-syntax"),
        pytest.param("- 2027-01-01\n", ["应是含 year", "2027.yaml.example"], id="not-map"),
        pytest.param(
            HOLIDAY + "  - {name: 元旦, date: 2027-01-01}\nholiday: []\n",
            ["没有键 'holiday'", "请检查拼写"],
            id="unknown-key",
        ),
        pytest.param("source: notice\nholidays: []\n", ["缺少键 'year'", "请补上"], id="no-year"),
        pytest.param("year: 2027\nholidays: []\n", ["缺少键 'source'"], id="no-source"),
        pytest.param("year: 2027\nsource: notice\n", ["缺少键 'holidays'"], id="no-holidays"),
        pytest.param(
            "year: '2027'\nsource: notice\nholidays: []\n",
            ["year 应是整数", "'2027'", "year: 2027"],
            id="year-text",
        ),
        pytest.param(
            "year: 2028\nsource: notice\nholidays: []\n",
            ["year 2028 与文件名 2027.yaml 不一致", "改名为 2028.yaml"],
            id="year-vs-name",
        ),
        pytest.param(
            "year: 2027\nsource: ' '\nholidays: []\n",
            ["source 应写明安排出自哪份通知", "国务院办公厅"],
            id="blank-source",
        ),
        pytest.param(
            HOLIDAY.replace("holidays:\n", "holidays: 元旦\n"),
            ["holidays 应是一个列表", "'元旦'"],
            id="holidays-not-list",
        ),
        pytest.param(
            HOLIDAY + "  - 2027-01-01\n",
            ["第4行", "holidays 第1项", "应是含 name 和 date", "'2027-01-01'"],
            id="entry-not-map",
        ),
        pytest.param(
            HOLIDAY + "  - {name: 元旦, day: 2027-01-01}\n",
            ["holidays 第1项", "没有字段 'day'"],
            id="entry-unknown-field",
        ),
        pytest.param(
            HOLIDAY + "  - {date: 2027-01-01}\n",
            ["holidays 第1项", "name 应是节日名称", "name: 春节"],
            id="entry-no-name",
        ),
        pytest.param(
            HOLIDAY + "  - {name: 元旦, date: 2027-01-01, to: 2027-01-03}\n",
            ["holidays 第1项 (元旦)", "只能写 date 或 from/to 之一"],
            id="date-and-range",
        ),
        pytest.param(
            HOLIDAY + "  - {name: 元旦}\n",
            ["holidays 第1项 (元旦)", "没有日期", "date: YYYY-MM-DD"],
            id="no-date",
        ),
        pytest.param(
            HOLIDAY + "  - {name: 元旦, from: 2027-01-01}\n",
            ["缺少 'to'", "含首尾两天"],
            id="range-without-to",
        ),
        pytest.param(
            HOLIDAY + "  - {name: 清明节, date: 2027/04/05}\n",
            ["holidays 第1项 (清明节) 字段 'date'", "不是日期", "'2027/04/05'", "YYYY-MM-DD"],
            id="date-format",
        ),
        pytest.param(
            HOLIDAY + "  - {name: 春节, from: 2027-02-05, to: 2027-02-30}\n",
            ["字段 'to'", "日历上没有这一天", "'2027-02-30'"],
            id="impossible-date",
        ),
        pytest.param(
            HOLIDAY + "  - {name: 元旦, from: 2026-12-31, to: 2027-01-01}\n",
            ["字段 'from'", "2026-12-31 不在2027年", "2026.yaml"],
            id="other-year",
        ),
        pytest.param(
            HOLIDAY + "  - {name: 国庆节, from: 2027-10-07, to: 2027-10-01}\n",
            ["holidays 第1项 (国庆节)", "结束日（2027-10-01）早于开始日", "对调"],
            id="reversed-range",
        ),
        pytest.param(
            HOLIDAY + "  - {name: 国庆节, from: 2027-10-01, to: 2027-12-07}\n",
            ["放假68天不合常理", "'2027-12-07'", "月份"],
            id="range-too-long",
        ),
        pytest.param(
            HOLIDAY
            + "  - {name: 国庆节, from: 2027-10-01, to: 2027-10-07}\n"
            + "  - {name: 中秋节, date: 2027-10-03}\n",
            [
                "第5行",
                "holidays 第2项 (中秋节)",
                "2027-10-03 已列在 holidays 第1项",
            ],
            id="overlap",
        ),
        pytest.param(
            HOLIDAY + "  - {name: 元旦, date: 2027-01-01}\nworkdays: 2027-02-20\n",
            ["workdays 应是日期列表", "'2027-02-20'"],
            id="workdays-not-list",
        ),
        pytest.param(
            HOLIDAY + "  - {name: 元旦, date: 2027-01-01}\nworkdays:\n  - 20 Feb\n",
            ["第6行", "workdays 第1项", "不是日期", "'20 Feb'"],
            id="workday-format",
        ),
        pytest.param(
            HOLIDAY + "  - {name: 春节, from: 2027-02-05, to: 2027-02-13}\n"
            "workdays:\n  - 2027-02-06\n",
            ["workdays 第1项", "2027-02-06 既列为假日（春节）", "删去"],
            id="holiday-and-workday",
        ),
        pytest.param(
            HOLIDAY + "  - {name: 元旦, date: 2027-01-01}\nworkdays:\n  - 2027-02-20\n"
            "  - 2027-02-20\n",
            ["workdays 第2项", "列了两次"],
            id="workday-twice",
        ),
        pytest.param(
            HOLIDAY + "  - {name: 元旦, date: 2027-01-01}\nholidays: []\n",
            ["第5行", "'holidays' 出现了两次"],
            id="duplicate-key",
        ),
        pytest.param(
            HOLIDAY + "  - {name: 元旦, date: 2027-01-01 09:00}\n",
            ["字段 'date'", "不是日期", "'2027-01-01 09:00'"],
            id="time-of-day",
        ),
    ],
)
def test_a_malformed_holiday_file_names_the_file_the_entry_the_value_and_the_fix(
    holiday_dir: Path, text: str, fragments: list[str]
) -> None:
    path = write_year(holiday_dir, 2027, text)
    with pytest.raises(HolidayDataError) as caught:
        work_calendar([holiday_dir]).is_workday(D(2027, 3, 1))
    message = str(caught.value)
    assert message.startswith(str(path))
    for fragment in fragments:
        assert fragment in message
    assert isinstance(caught.value, ValueError)


def test_a_holiday_file_that_is_not_utf8_is_reported(holiday_dir: Path) -> None:
    path = holiday_dir / "2027.yaml"
    path.write_bytes(VALID_2027.encode("gb18030"))
    with pytest.raises(HolidayDataError, match="不是 UTF-8") as caught:
        work_calendar([holiday_dir]).is_workday(D(2027, 3, 1))
    assert str(path) in str(caught.value)


# --------------------------------------------------------------------------- navigation


def test_the_next_workday_after_the_first_friday_of_october_2026_is_after_national_day(
    calendar: WorkCalendar,
) -> None:
    first_friday = D(2026, 10, 2)
    assert first_friday.weekday() == 4
    assert calendar.holiday_name(first_friday) == "国庆节"
    assert calendar.next_workday(first_friday) == D(2026, 10, 8)


def test_a_workday_is_its_own_next_and_previous_workday(calendar: WorkCalendar) -> None:
    assert calendar.next_workday(D(2026, 3, 3)) == D(2026, 3, 3)
    assert calendar.previous_workday(D(2026, 3, 3)) == D(2026, 3, 3)
    assert calendar.next_workday(D(2026, 1, 4)) == D(2026, 1, 4)  # make-up Sunday


def test_the_previous_workday_steps_back_over_national_day(calendar: WorkCalendar) -> None:
    assert calendar.previous_workday(D(2026, 10, 5)) == D(2026, 9, 30)


def test_the_previous_workday_can_be_a_make_up_saturday(calendar: WorkCalendar) -> None:
    assert calendar.previous_workday(D(2026, 2, 22)) == D(2026, 2, 14)


def test_navigation_crosses_from_an_official_into_a_provisional_year(
    calendar: WorkCalendar,
) -> None:
    assert calendar.previous_workday(D(2027, 1, 1)) == D(2026, 12, 31)
    assert calendar.next_workday(D(2026, 12, 31)) == D(2026, 12, 31)
    assert calendar.next_workday(D(2027, 1, 1)) == D(2027, 1, 4)


def test_the_last_workday_of_2026_q3_is_30_september(calendar: WorkCalendar) -> None:
    assert calendar.last_workday(D(2026, 7, 1), D(2026, 9, 30)) == D(2026, 9, 30)


def test_the_last_workday_of_february_2026_is_a_make_up_saturday(calendar: WorkCalendar) -> None:
    assert calendar.last_workday(D(2026, 2, 1), D(2026, 2, 28)) == D(2026, 2, 28)


def test_the_last_workday_of_a_range_without_workdays_is_the_one_before_it(
    calendar: WorkCalendar,
) -> None:
    assert calendar.last_workday(D(2026, 2, 16), D(2026, 2, 22)) == D(2026, 2, 14)


def test_the_first_workday_of_2026_is_a_make_up_sunday(calendar: WorkCalendar) -> None:
    assert calendar.first_workday(D(2026, 1, 1), D(2026, 12, 31)) == D(2026, 1, 4)


def test_the_first_workday_of_october_2026_follows_national_day(calendar: WorkCalendar) -> None:
    assert calendar.first_workday(D(2026, 10, 1), D(2026, 10, 31)) == D(2026, 10, 8)


def test_the_first_workday_of_a_range_without_workdays_is_the_one_after_it(
    calendar: WorkCalendar,
) -> None:
    assert calendar.first_workday(D(2026, 10, 1), D(2026, 10, 7)) == D(2026, 10, 8)


def test_first_and_last_workday_refuse_a_range_that_ends_before_it_starts(
    calendar: WorkCalendar,
) -> None:
    with pytest.raises(ValueError, match="ends before it starts"):
        calendar.last_workday(D(2026, 9, 30), D(2026, 7, 1))
    with pytest.raises(ValueError, match="ends before it starts"):
        calendar.first_workday(D(2026, 9, 30), D(2026, 7, 1))


# --------------------------------------------------------------------------- the pure calendar


def test_the_calendar_does_its_maths_over_any_year_source() -> None:
    asked: list[int] = []

    def years(year: int) -> YearArrangement:
        asked.append(year)
        return YearArrangement(
            holidays={D(year, 3, 5): "植树假"},
            workdays=frozenset({D(year, 3, 9)}),
            source=f"made up for {year}",
        )

    calendar = WorkCalendar(years)
    assert (D(2030, 3, 5).weekday(), D(2030, 3, 9).weekday()) == (1, 5)  # Tuesday, Saturday
    assert not calendar.is_workday(D(2030, 3, 5))
    assert calendar.holiday_name(D(2030, 3, 5)) == "植树假"
    assert calendar.is_workday(D(2030, 3, 9))
    assert not calendar.is_workday(D(2030, 3, 10))  # a plain Sunday
    assert calendar.next_workday(D(2030, 3, 5)) == D(2030, 3, 6)
    assert calendar.source(2030) == "made up for 2030"
    assert not calendar.is_provisional(2030)
    assert calendar.holidays(2030) == {D(2030, 3, 5): "植树假"}
    assert asked == [2030]  # each year is asked once


def test_a_provisional_year_is_reported_once_after_it_is_cached() -> None:
    reported: list[int] = []

    def report(year: int) -> None:
        reported.append(year)
        raise RuntimeError("the callback failed")

    calendar = WorkCalendar(
        lambda year: YearArrangement({}, frozenset(), "a guess", provisional=True),
        on_provisional=report,
    )
    with pytest.raises(RuntimeError):
        calendar.is_workday(D(2030, 3, 4))
    assert calendar.is_workday(D(2030, 3, 4))
    assert calendar.is_provisional(2030)
    assert reported == [2030]


# --------------------------------------------------------------------------- default folders


def test_default_holiday_dirs_put_the_environment_first_then_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    local = tmp_path / "calendars" / "holidays"
    for folder in (first, second, local):
        folder.mkdir(parents=True)
    monkeypatch.setenv("ORGLIFE_HOLIDAYS_DIR", os.pathsep.join([str(first), str(second)]))
    monkeypatch.chdir(tmp_path)
    assert default_holiday_dirs()[:3] == [first.resolve(), second.resolve(), local.resolve()]


def test_default_holiday_dirs_skip_a_missing_local_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ORGLIFE_HOLIDAYS_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    assert all(not str(folder).startswith(str(tmp_path)) for folder in default_holiday_dirs())


def test_default_holiday_dirs_list_a_folder_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    local = tmp_path / "calendars" / "holidays"
    local.mkdir(parents=True)
    monkeypatch.setenv("ORGLIFE_HOLIDAYS_DIR", str(local))
    monkeypatch.chdir(tmp_path)
    assert default_holiday_dirs().count(local.resolve()) == 1


def test_default_holiday_dirs_reject_a_missing_folder_in_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORGLIFE_HOLIDAYS_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(HolidayDataError, match="ORGLIFE_HOLIDAYS_DIR"):
        default_holiday_dirs()
