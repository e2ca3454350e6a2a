"""The statutory holidays of 《全国年节及纪念日放假办法》 (2024 revision), by lunar-python.

They make the provisional calendar of a year whose arrangement is not announced yet.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any, Final

from lunar_python import Lunar, Solar

__all__ = [
    "DRAGON_BOAT",
    "LABOUR_DAY",
    "MID_AUTUMN",
    "MIN_STATUTORY_YEAR",
    "NATIONAL_DAY",
    "NEW_YEAR",
    "QINGMING",
    "SPRING_FESTIVAL",
    "statutory_holidays",
]

# Festival names as 《全国年节及纪念日放假办法》 writes them.
NEW_YEAR: Final = "元旦"
SPRING_FESTIVAL: Final = "春节"
QINGMING: Final = "清明节"
LABOUR_DAY: Final = "劳动节"
DRAGON_BOAT: Final = "端午节"
MID_AUTUMN: Final = "中秋节"
NATIONAL_DAY: Final = "国庆节"

# The 放假办法 dates from December 1949; before 1583 lunar_python also switches to the Julian
# calendar while datetime stays proleptic Gregorian, so earlier years would give wrong dates.
MIN_STATUTORY_YEAR: Final = 1949


def statutory_holidays(year: int) -> dict[dt.date, str]:
    """The days off 《全国年节及纪念日放假办法》 (2024 revision) names for ``year``, by date.

    Only festival days: weekends are not added and no 补假/调休 is applied. A day that is two
    festivals at once (中秋 on 1–3 October) gets both names, ``国庆节、中秋节``.
    Raises ValueError before 1949.
    """
    return dict(_statutory_holidays(year))


@functools.cache
def _statutory_holidays(year: int) -> tuple[tuple[dt.date, str], ...]:
    if not MIN_STATUTORY_YEAR <= year <= dt.MAXYEAR:
        raise ValueError(
            f"statutory holidays are computed for {MIN_STATUTORY_YEAR}-{dt.MAXYEAR}, not {year}"
        )
    days: dict[dt.date, str] = {}

    def add(day: dt.date, name: str) -> None:
        days[day] = f"{days[day]}、{name}" if day in days else name

    add(dt.date(year, 1, 1), NEW_YEAR)
    # 除夕 is the eve of 正月初一 whether 腊月 has 29 or 30 days (or is followed by a leap
    # 腊月), so count back from 初一 instead of building 腊月三十, which may not exist.
    first_day = _solar_date(Lunar.fromYmd(year, 1, 1).getSolar())
    for offset in range(-1, 3):
        add(first_day + dt.timedelta(days=offset), SPRING_FESTIVAL)
    add(_qingming(year), QINGMING)
    add(dt.date(year, 5, 1), LABOUR_DAY)
    add(dt.date(year, 5, 2), LABOUR_DAY)
    # Lunar month 5 and 8 of lunar year `year` always fall in Gregorian `year` (after 春节).
    add(_solar_date(Lunar.fromYmd(year, 5, 5).getSolar()), DRAGON_BOAT)
    for day in (1, 2, 3):
        add(dt.date(year, 10, day), NATIONAL_DAY)
    # Added after 国庆 so that a coinciding day reads 国庆节、中秋节, as State Council notices do.
    add(_solar_date(Lunar.fromYmd(year, 8, 15).getSolar()), MID_AUTUMN)
    return tuple(sorted(days.items()))


def _qingming(year: int) -> dt.date:
    """The day of the solar term 清明 in Beijing time (around 5 April)."""
    # The lunar year holding 1 April is `year` (春节 is never after 20 February), and its
    # jieqi table holds that spring's 清明.
    table = Solar.fromYmd(year, 4, 1).getLunar().getJieQiTable()
    return _solar_date(table["清明"])


def _solar_date(solar: Any) -> dt.date:
    return dt.date(solar.getYear(), solar.getMonth(), solar.getDay())
