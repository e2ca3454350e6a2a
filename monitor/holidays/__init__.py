"""Holiday data: where each year's working-day arrangement comes from (I/O lives here).

Reads holiday files, asks ``chinesecalendar``, computes the statutory calendar with
lunar-python, looks up the holiday folders in the environment and logs provisional years; the
maths over the result is :class:`monitor.core.workdays.WorkCalendar`. May import
``monitor.text`` and ``monitor.core``.
"""

from __future__ import annotations

from monitor.holidays.files import HOLIDAYS_README, HolidayArrangement, read_holiday_file
from monitor.holidays.sources import (
    ENV_HOLIDAYS_DIR,
    HolidaySource,
    WarnCallback,
    default_holiday_dirs,
    official_year,
    provisional_hint,
    provisional_year,
    work_calendar,
)
from monitor.holidays.statutory import MIN_STATUTORY_YEAR, statutory_holidays

__all__ = [
    "ENV_HOLIDAYS_DIR",
    "HOLIDAYS_README",
    "MIN_STATUTORY_YEAR",
    "HolidayArrangement",
    "HolidaySource",
    "WarnCallback",
    "default_holiday_dirs",
    "official_year",
    "provisional_hint",
    "provisional_year",
    "read_holiday_file",
    "statutory_holidays",
    "work_calendar",
]
