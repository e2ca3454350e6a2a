"""Working days in Asia/Shanghai: announced arrangements, official data and a statutory fallback.

For each year the first source that has it wins:

1. ``<year>.yaml`` in one of the holiday folders (the State Council notice, typed in by hand);
2. the ``chinesecalendar`` package (official arrangements, 2004 to its last release);
3. a *provisional* calendar: weekends plus the statutory holidays of 《全国年节及纪念日放假办法》
   (2024 revision), with no 调休 because that is only known once announced.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, NoReturn

import chinese_calendar
import structlog
import yaml
from lunar_python import Lunar, Solar

from monitor.core.errors import HolidayDataError

__all__ = [
    "ENV_HOLIDAYS_DIR",
    "HolidayArrangement",
    "WorkCalendar",
    "default_holiday_dirs",
    "read_holiday_file",
    "statutory_holidays",
]

ENV_HOLIDAYS_DIR: Final = "ORGLIFE_HOLIDAYS_DIR"

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

# The longest official block since 2004 is 10 days (春节 2020, extended for COVID-19); a range
# over a month is almost surely a typo in `to` (wrong month) that would wipe out working days.
_MAX_HOLIDAY_SPAN_DAYS: Final = 31
_README: Final = "calendars/holidays/README.md"
_ONE_DAY: Final = dt.timedelta(days=1)

WarnCallback = Callable[[int, str], None]


# --------------------------------------------------------------------------- statutory holidays


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


# --------------------------------------------------------------------------- holiday files


@dataclass(frozen=True, slots=True)
class HolidayArrangement:
    """One year's announced arrangement, as read from ``<year>.yaml``."""

    path: Path
    year: int
    source: str
    holidays: Mapping[dt.date, str]  # days off, with the festival name
    workdays: frozenset[dt.date]  # 调休 make-up working days


class _Mapping(dict[Any, Any]):
    """A YAML mapping that remembers its line, for error messages."""

    line: int = 0


class _Sequence(list[Any]):
    """A YAML sequence that remembers the line of each item, for error messages."""

    lines: list[int]


class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps dates as text and rejects duplicate keys.

    Dates stay strings so that ``2027-02-30`` gets our explanation instead of PyYAML's
    "day is out of range for month"; duplicate keys are rejected because PyYAML would silently
    keep only the last of two ``holidays:`` lists.
    """


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> _Mapping:
    loader.flatten_mapping(node)
    data = _Mapping()
    data.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            duplicate = key in data
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be a plain word", key_node.start_mark
            ) from None
        if duplicate:
            raise yaml.constructor.ConstructorError(
                None, None, f"the key {key!r} appears twice", key_node.start_mark
            )
        data[key] = loader.construct_object(value_node, deep=True)
    return data


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> _Sequence:
    data = _Sequence(loader.construct_object(child, deep=True) for child in node.value)
    data.lines = [child.start_mark.line + 1 for child in node.value]
    return data


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)

_TOP_KEYS: Final = ("year", "source", "holidays", "workdays")
_ENTRY_KEYS: Final = ("name", "date", "from", "to")
_DATE_RE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
_FILE_NAME_RE: Final = re.compile(r"(\d+)\.yaml")
_NO_VALUE: Final = object()


def _fail(
    path: Path,
    problem: str,
    fix: str,
    *,
    line: int | None = None,
    entry: str | None = None,
    value: object = _NO_VALUE,
) -> NoReturn:
    where = str(path)
    if line is not None:
        where += f", line {line}"
    if entry is not None:
        where += f", {entry}"
    text = f"{where}: {problem}"
    if value is not _NO_VALUE:
        text += f" (value: {value!r})"
    raise HolidayDataError(f"{text}. {fix}")


def read_holiday_file(path: Path) -> HolidayArrangement:
    """Read and check one ``<year>.yaml`` file; raises HolidayDataError saying what to fix."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        _fail(path, "the file is not UTF-8 text", "Save it as UTF-8")
    except OSError as exc:
        _fail(
            path, f"cannot read the file ({exc.strerror})", "Check that it exists and is readable"
        )
    try:
        doc = yaml.load(text, Loader=_Loader)  # _Loader is a SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        _fail(
            path,
            f"not valid YAML: {exc.problem or exc.context}",
            f"Fix the syntax; see {_README} for the format",
            line=mark.line + 1 if mark is not None else None,
        )
    except yaml.YAMLError as exc:
        _fail(path, f"not valid YAML: {exc}", f"Fix the syntax; see {_README} for the format")

    if not isinstance(doc, _Mapping):
        _fail(
            path,
            "the file must be a mapping with the keys year, source, holidays and workdays",
            f"Start from calendars/holidays/2027.yaml.example; see {_README}",
            value=doc,
        )
    unknown = [key for key in doc if key not in _TOP_KEYS]
    if unknown:
        _fail(
            path,
            f"unknown key {unknown[0]!r}",
            f"The keys are {', '.join(_TOP_KEYS)}; check the spelling",
            line=doc.line,
        )
    for key in ("year", "source", "holidays"):
        if key not in doc:
            _fail(path, f"the key {key!r} is missing", f"Add it; see {_README}", line=doc.line)

    year = doc["year"]
    if isinstance(year, bool) or not isinstance(year, int):
        _fail(path, "year must be a whole number", "Write it like `year: 2027`", value=year)
    name_match = _FILE_NAME_RE.fullmatch(path.name)
    if name_match is not None and int(name_match[1]) != year:
        _fail(
            path,
            f"year {year} disagrees with the file name {path.name}",
            f"Rename the file to {year}.yaml or correct `year`",
            value=year,
        )
    source = doc["source"]
    if not isinstance(source, str) or not source.strip():
        _fail(
            path,
            "source must name the notice the arrangement comes from",
            "Write e.g. `source: 国务院办公厅关于2027年部分节假日安排的通知`",
            value=source,
        )

    holidays = _read_holidays(path, year, doc["holidays"], doc.line)
    workdays = _read_workdays(path, year, doc.get("workdays"), doc.line, holidays)
    return HolidayArrangement(
        path=path,
        year=year,
        source=source.strip(),
        holidays=dict(sorted(holidays.items())),
        workdays=frozenset(workdays),
    )


def _read_holidays(path: Path, year: int, raw: object, line: int) -> dict[dt.date, str]:
    if not isinstance(raw, _Sequence):
        _fail(
            path,
            "holidays must be a list of entries",
            "Write `holidays:` followed by lines like `  - {name: 元旦, date: 2027-01-01}`",
            line=line,
            value=raw,
        )
    days: dict[dt.date, str] = {}
    seen_in: dict[dt.date, str] = {}
    for index, (item, item_line) in enumerate(zip(raw, raw.lines, strict=True), start=1):
        label = f"holidays entry {index}"
        if not isinstance(item, _Mapping):
            _fail(
                path,
                "an entry must be a mapping with name and date (or from and to)",
                "Write it like `- {name: 清明节, date: 2027-04-05}`",
                line=item_line,
                entry=label,
                value=item,
            )
        unknown = [key for key in item if key not in _ENTRY_KEYS]
        if unknown:
            _fail(
                path,
                f"unknown field {unknown[0]!r}",
                f"The fields are {', '.join(_ENTRY_KEYS)}; check the spelling",
                line=item_line,
                entry=label,
            )
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            _fail(
                path,
                "name must be the festival's name",
                "Add e.g. `name: 春节`",
                line=item_line,
                entry=label,
                value=name,
            )
        name = name.strip()
        label = f"{label} ({name})"
        first, last = _read_span(path, year, item, item_line, label)
        day = first
        while day <= last:
            if day in days:
                _fail(
                    path,
                    f"{day} is already listed in {seen_in[day]}",
                    "List every day once; split a range if one day belongs to another festival",
                    line=item_line,
                    entry=label,
                )
            days[day] = name
            seen_in[day] = label
            day += _ONE_DAY
    return days


def _read_span(
    path: Path, year: int, item: _Mapping, line: int, label: str
) -> tuple[dt.date, dt.date]:
    """The first and last day of one holiday entry: ``date``, or ``from`` and ``to``."""
    has_range = "from" in item or "to" in item
    if "date" in item and has_range:
        _fail(
            path,
            "an entry has either date or from/to, not both",
            "Use `date:` for one day and `from:`/`to:` for a range",
            line=line,
            entry=label,
        )
    if "date" in item:
        day = _read_date(path, year, item["date"], line, label, "date")
        return day, day
    if not has_range:
        _fail(
            path,
            "the entry has no date",
            "Add `date: YYYY-MM-DD`, or `from:` and `to:` for a range",
            line=line,
            entry=label,
        )
    for key in ("from", "to"):
        if key not in item:
            _fail(
                path,
                f"a range needs both from and to, and {key!r} is missing",
                f"Add `{key}: YYYY-MM-DD` (the range is inclusive)",
                line=line,
                entry=label,
            )
    first = _read_date(path, year, item["from"], line, label, "from")
    last = _read_date(path, year, item["to"], line, label, "to")
    if last < first:
        _fail(
            path,
            f"the range ends ({last}) before it starts ({first})",
            "Swap from and to, or correct the dates",
            line=line,
            entry=label,
        )
    if (last - first).days >= _MAX_HOLIDAY_SPAN_DAYS:
        _fail(
            path,
            f"a holiday of {(last - first).days + 1} days is implausible",
            "Check the month in `to`",
            line=line,
            entry=label,
            value=str(last),
        )
    return first, last


def _read_workdays(
    path: Path, year: int, raw: object, line: int, holidays: Mapping[dt.date, str]
) -> set[dt.date]:
    if raw is None:  # `workdays:` left empty or left out: no make-up days
        return set()
    if not isinstance(raw, _Sequence):
        _fail(
            path,
            "workdays must be a list of dates",
            "Write `workdays:` followed by lines like `  - 2027-02-20`, or `workdays: []`",
            line=line,
            value=raw,
        )
    days: set[dt.date] = set()
    for index, (item, item_line) in enumerate(zip(raw, raw.lines, strict=True), start=1):
        label = f"workdays entry {index}"
        day = _read_date(path, year, item, item_line, label, None)
        if day in holidays:
            _fail(
                path,
                f"{day} is listed both as a holiday ({holidays[day]}) and as a make-up workday",
                "Remove it from one of the two lists",
                line=item_line,
                entry=label,
            )
        if day in days:
            _fail(
                path,
                f"{day} is listed twice",
                "Remove the duplicate, or correct it if another day was meant",
                line=item_line,
                entry=label,
            )
        days.add(day)
    return days


def _read_date(
    path: Path, year: int, raw: object, line: int, label: str, field: str | None
) -> dt.date:
    entry = f"{label}, field {field!r}" if field else label
    if isinstance(raw, dt.datetime):
        _fail(path, "a day is expected, not a time", "Write YYYY-MM-DD", line=line, entry=entry)
    if isinstance(raw, dt.date):  # only reachable through an explicit !!timestamp tag
        day = raw
    else:
        if not isinstance(raw, str) or not _DATE_RE.fullmatch(raw):
            _fail(
                path,
                "not a date",
                "Write dates as YYYY-MM-DD, e.g. 2027-04-05",
                line=line,
                entry=entry,
                value=raw,
            )
        try:
            day = dt.date.fromisoformat(raw)
        except ValueError:
            _fail(
                path,
                "no such day in the calendar",
                "Check the month and day",
                line=line,
                entry=entry,
                value=raw,
            )
    if day.year != year:
        _fail(
            path,
            f"{day} is not in {year}",
            f"Put days of {day.year} in {day.year}.yaml (a holiday spanning New Year is split "
            "between the two files)",
            line=line,
            entry=entry,
            value=str(day),
        )
    return day


# --------------------------------------------------------------------------- the calendar


@dataclass(frozen=True, slots=True)
class _Year:
    off: frozenset[dt.date]  # every non-working day of the year, weekends included
    names: Mapping[dt.date, str]  # holidays by name
    provisional: bool
    source: str


def _weekends(year: int) -> set[dt.date]:
    first = dt.date(year, 1, 1)
    length = (dt.date(year, 12, 31) - first).days + 1
    days = (first + dt.timedelta(days=offset) for offset in range(length))
    return {day for day in days if day.weekday() >= 5}


def _year_from_file(arrangement: HolidayArrangement) -> _Year:
    off = (_weekends(arrangement.year) - arrangement.workdays) | set(arrangement.holidays)
    return _Year(
        off=frozenset(off),
        names=dict(arrangement.holidays),
        provisional=False,
        source=f"{arrangement.path} ({arrangement.source})",
    )


def _year_from_chinesecalendar(year: int) -> _Year | None:
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
    return _Year(
        off=frozenset((_weekends(year) - workdays) | set(names)),
        names=names,
        provisional=False,
        source=f"chinesecalendar {chinese_calendar.__version__}",
    )


def _official_name(english: str) -> str:
    if english in _OFFICIAL_NAMES:
        return _OFFICIAL_NAMES[english]
    chinese: str = chinese_calendar.Holiday(english).chinese  # one-off days, e.g. 2015-09-03
    return chinese


def _provisional_year(year: int) -> _Year:
    names = statutory_holidays(year)
    return _Year(
        off=frozenset(_weekends(year) | set(names)),
        names=names,
        provisional=True,
        source="statutory holidays of 《全国年节及纪念日放假办法》 (provisional)",
    )


def _log_provisional(year: int, hint: str) -> None:
    structlog.get_logger(__name__).warning("provisional_holiday_calendar", year=year, hint=hint)


def _provisional_hint(year: int) -> str:
    return (
        f"No announced holiday arrangement for {year}: weekends and the statutory holidays of "
        "《全国年节及纪念日放假办法》 are days off, without 调休 or 补假, so working-day "
        f"deadlines in {year} may be off by a few days. When the State Council publishes the "
        f"{year} arrangement, add {year}.yaml to a holiday folder (see {_README})."
    )


def _require_date(day: dt.date) -> None:
    # A datetime never equals a date, so it would silently miss every holiday; and an aware
    # datetime must first be converted to Asia/Shanghai, which only the caller can do right.
    if isinstance(day, dt.datetime):
        raise TypeError(f"expected a date in Asia/Shanghai, got the datetime {day!r}")


class WorkCalendar:
    """Which days are working days in mainland China (Asia/Shanghai), including 调休.

    Each year is resolved once, on first use, from ``<year>.yaml`` in ``holiday_dirs`` (earlier
    folders win), else chinesecalendar, else the provisional statutory calendar; the last
    reports ``warn(year, hint)`` once per year.
    """

    def __init__(
        self, holiday_dirs: Sequence[Path] = (), *, warn: WarnCallback | None = None
    ) -> None:
        self._dirs = tuple(Path(folder) for folder in holiday_dirs)
        self._warn: WarnCallback = warn if warn is not None else _log_provisional
        self._years: dict[int, _Year] = {}
        # The hot path of is_workday reads this plain dict of sets, nothing else.
        self._off: dict[int, frozenset[dt.date]] = {}

    @property
    def holiday_dirs(self) -> tuple[Path, ...]:
        """The folders searched for ``<year>.yaml``, in order of precedence."""
        return self._dirs

    def _year(self, year: int) -> _Year:
        data = self._years.get(year)
        if data is None:
            data = self._load(year)
            self._years[year] = data
            self._off[year] = data.off
            # Warn after caching, so a warn that raises cannot make the next call warn again.
            if data.provisional:
                self._warn(year, _provisional_hint(year))
        return data

    def _load(self, year: int) -> _Year:
        for folder in self._dirs:
            path = folder / f"{year}.yaml"
            if path.is_file():
                return _year_from_file(read_holiday_file(path))
        official = _year_from_chinesecalendar(year)
        return official if official is not None else _provisional_year(year)

    def is_workday(self, day: dt.date) -> bool:
        """Whether ``day`` is a working day (调休 make-up days included)."""
        _require_date(day)
        off = self._off.get(day.year)
        if off is None:
            off = self._year(day.year).off
        return day not in off

    def is_provisional(self, year: int) -> bool:
        """True when neither a holiday file nor chinesecalendar covers ``year``."""
        return self._year(year).provisional

    def source(self, year: int) -> str:
        """Where the arrangement for ``year`` comes from, for reports and audit trails."""
        return self._year(year).source

    def holiday_name(self, day: dt.date) -> str | None:
        """The festival's Chinese name when ``day`` is a statutory or announced holiday."""
        _require_date(day)
        return self._year(day.year).names.get(day)

    def holidays(self, year: int) -> dict[dt.date, str]:
        """Every holiday of ``year`` (announced, official or statutory) with its name."""
        return dict(self._year(year).names)

    def next_workday(self, day: dt.date) -> dt.date:
        """``day`` itself if it is a workday, else the first workday after it."""
        while not self.is_workday(day):
            day += _ONE_DAY
        return day

    def previous_workday(self, day: dt.date) -> dt.date:
        """``day`` itself if it is a workday, else the last workday before it."""
        while not self.is_workday(day):
            day -= _ONE_DAY
        return day

    def last_workday(self, start: dt.date, end: dt.date) -> dt.date:
        """The last workday in [start, end]; if there is none, the last one before ``start``."""
        _check_range(start, end)
        # The latest workday on or before `end` is both the answer and the fallback.
        return self.previous_workday(end)

    def first_workday(self, start: dt.date, end: dt.date) -> dt.date:
        """The first workday in [start, end]; if there is none, the first one after ``end``."""
        _check_range(start, end)
        return self.next_workday(start)

    def workdays_between(self, start: dt.date, end: dt.date) -> int:
        """How many workdays [start, end] holds, both ends included; 0 when end < start."""
        _require_date(start)
        _require_date(end)
        count = 0
        for year in range(start.year, end.year + 1):
            first = max(start, dt.date(year, 1, 1))
            last = min(end, dt.date(year, 12, 31))
            if last < first:
                continue
            off = self._year(year).off
            if first.month == 1 and first.day == 1 and last.month == 12 and last.day == 31:
                days_off = len(off)
            else:
                days_off = sum(1 for day in off if first <= day <= last)
            count += (last - first).days + 1 - days_off
        return count


def _check_range(start: dt.date, end: dt.date) -> None:
    _require_date(start)
    _require_date(end)
    if end < start:
        raise ValueError(f"the range {start}..{end} ends before it starts")


# --------------------------------------------------------------------------- where the files are


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
                f"{ENV_HOLIDAYS_DIR} names {part!r}, which is not a folder. "
                f"Correct the variable or create the folder (see {_README})"
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
