"""Where each year's working-day arrangement comes from, and the calendar built on them.

For each year the first source that has it wins:

1. ``<year>.yaml`` in one of the holiday folders (the State Council notice, typed in by hand);
2. the ``chinesecalendar`` package (official arrangements, 2004 to its last release);
3. a *provisional* calendar: weekends plus the statutory holidays of 《全国年节及纪念日放假办法》
   (2024 revision), with no 调休 because that is only known once announced.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Final

import chinese_calendar
import structlog

from monitor.core.errors import HolidayDataError
from monitor.core.workdays import WorkCalendar, YearArrangement
from monitor.holidays.files import HOLIDAYS_README, HolidayArrangement, read_holiday_file
from monitor.holidays.statutory import (
    DRAGON_BOAT,
    LABOUR_DAY,
    MID_AUTUMN,
    NATIONAL_DAY,
    NEW_YEAR,
    QINGMING,
    SPRING_FESTIVAL,
    statutory_holidays,
)

__all__ = [
    "ENV_HOLIDAYS_DIR",
    "HolidaySource",
    "WarnCallback",
    "default_holiday_dirs",
    "official_year",
    "provisional_hint",
    "provisional_year",
    "work_calendar",
]

ENV_HOLIDAYS_DIR: Final = "ORGLIFE_HOLIDAYS_DIR"

# chinesecalendar names its holidays in English; map them to the statute's Chinese names.
_OFFICIAL_NAMES: Final[Mapping[str, str]] = {
    "New Year's Day": NEW_YEAR,
    "Spring Festival": SPRING_FESTIVAL,
    "Tomb-sweeping Day": QINGMING,
    "Labour Day": LABOUR_DAY,
    "Dragon Boat Festival": DRAGON_BOAT,
    "Mid-autumn Festival": MID_AUTUMN,
    "National Day": NATIONAL_DAY,
}

WarnCallback = Callable[[int, str], None]


def _from_file(arrangement: HolidayArrangement) -> YearArrangement:
    return YearArrangement(
        holidays=dict(arrangement.holidays),
        workdays=arrangement.workdays,
        source=f"{arrangement.path} ({arrangement.source})",
    )


def official_year(year: int) -> YearArrangement | None:
    """The arrangement ``chinesecalendar`` has for ``year``, or None when it has none."""
    try:
        chinese_calendar.is_workday(dt.date(year, 1, 1))
    except NotImplementedError:  # the package has no data for this year
        return None
    # Read the package's tables directly: its per-day functions rescan them on every call.
    workdays = {day for day in chinese_calendar.workdays if day.year == year}
    names = {
        day: _official_name(name)
        for day, name in chinese_calendar.holidays.items()
        if day.year == year and day not in workdays
    }
    return YearArrangement(
        holidays=names,
        workdays=frozenset(workdays),
        source=f"chinesecalendar {chinese_calendar.__version__}",
    )


def _official_name(english: str) -> str:
    if english in _OFFICIAL_NAMES:
        return _OFFICIAL_NAMES[english]
    chinese: str = chinese_calendar.Holiday(english).chinese  # one-off days, e.g. 2015-09-03
    return chinese


def provisional_year(year: int) -> YearArrangement:
    """Weekends and the statutory holidays off, nothing else: no 调休 is known in advance."""
    return YearArrangement(
        holidays=statutory_holidays(year),
        workdays=frozenset(),
        source="statutory holidays of 《全国年节及纪念日放假办法》 (provisional)",
        provisional=True,
    )


def provisional_hint(year: int) -> str:
    """What a provisional ``year`` means for deadlines, and how to make it announced."""
    return (
        f"No announced holiday arrangement for {year}: weekends and the statutory holidays of "
        "《全国年节及纪念日放假办法》 are days off, without 调休 or 补假, so working-day "
        f"deadlines in {year} may be off by a few days. When the State Council publishes the "
        f"{year} arrangement, add {year}.yaml to a holiday folder (see {HOLIDAYS_README})."
    )


def _log_provisional(year: int, hint: str) -> None:
    structlog.get_logger(__name__).warning("provisional_holiday_calendar", year=year, hint=hint)


class HolidaySource:
    """Each year from ``<year>.yaml`` in ``holiday_dirs`` (earlier folders win), else
    chinesecalendar, else the provisional statutory calendar."""

    def __init__(self, holiday_dirs: Sequence[Path] = ()) -> None:
        self._dirs = tuple(Path(folder) for folder in holiday_dirs)

    @property
    def holiday_dirs(self) -> tuple[Path, ...]:
        """The folders searched for ``<year>.yaml``, in order of precedence."""
        return self._dirs

    def __call__(self, year: int) -> YearArrangement:
        for folder in self._dirs:
            path = folder / f"{year}.yaml"
            if path.is_file():
                return _from_file(read_holiday_file(path))
        official = official_year(year)
        return official if official is not None else provisional_year(year)


def work_calendar(
    holiday_dirs: Sequence[Path] = (), *, warn: WarnCallback | None = None
) -> WorkCalendar:
    """The working-day calendar over ``holiday_dirs``, chinesecalendar and the statute.

    Each year is resolved once, on first use; a provisional year is reported as
    ``warn(year, hint)`` once per calendar and year (by default a structlog warning).
    """
    report: WarnCallback = warn if warn is not None else _log_provisional
    return WorkCalendar(
        HolidaySource(holiday_dirs),
        on_provisional=lambda year: report(year, provisional_hint(year)),
    )


def default_holiday_dirs() -> list[Path]:
    """The holiday folders to use, most important first.

    ``$ORGLIFE_HOLIDAYS_DIR`` (several joined by os.pathsep), then ``./calendars/holidays`` if it
    exists, then the copy bundled in the installed package (``monitor/_holidays``) if it exists.
    """
    folders: list[Path] = []
    for part in os.environ.get(ENV_HOLIDAYS_DIR, "").split(os.pathsep):
        if not part.strip():
            continue
        folder = Path(part).expanduser()
        if not folder.is_dir():
            raise HolidayDataError(
                f"{ENV_HOLIDAYS_DIR} 指向的 {part!r} 不是文件夹。"
                f"请改正该变量或建立文件夹（见 {HOLIDAYS_README}）"
            )
        folders.append(folder.resolve())
    for candidate in (
        Path.cwd() / "calendars" / "holidays",
        Path(__file__).parent.parent / "_holidays",
    ):
        if candidate.is_dir():
            folders.append(candidate.resolve())
    # The same folder reached twice (e.g. the variable names ./calendars/holidays) is searched once.
    return list(dict.fromkeys(folders))
