"""Holiday files: ``<year>.yaml``, a State Council notice typed in by hand, read and checked.

Every mistake is reported with the file, the line and the entry, and how to fix it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, NoReturn

import yaml

from monitor.core.errors import HolidayDataError

__all__ = ["HOLIDAYS_README", "HolidayArrangement", "read_holiday_file"]

# Where the format is explained; error messages and hints point there.
HOLIDAYS_README: Final = "calendars/holidays/README.md"

# The longest official block since 2004 is 10 days (春节 2020, extended for COVID-19); a range
# over a month is almost surely a typo in `to` (wrong month) that would wipe out working days.
_MAX_HOLIDAY_SPAN_DAYS: Final = 31
_ONE_DAY: Final = dt.timedelta(days=1)


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
                None, None, "键应是一个普通的词", key_node.start_mark
            ) from None
        if duplicate:
            raise yaml.constructor.ConstructorError(
                None, None, f"键 {key!r} 出现了两次", key_node.start_mark
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
        where += f" 第{line}行"
    if entry is not None:
        where += f" {entry}"
    text = f"{where}：{problem}"
    if value is not _NO_VALUE:
        text += f"（值：{value!r}）"
    raise HolidayDataError(f"{text}。{fix}")


def read_holiday_file(path: Path) -> HolidayArrangement:
    """Read and check one ``<year>.yaml`` file; raises HolidayDataError saying what to fix."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        _fail(path, "文件不是 UTF-8 文本", "请另存为 UTF-8 编码")
    except OSError as exc:
        _fail(path, f"无法读取文件（{exc.strerror}）", "请确认文件存在且可读")
    try:
        doc = yaml.load(text, Loader=_Loader)  # _Loader is a SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        _fail(
            path,
            f"不是有效的 YAML：{exc.problem or exc.context}",
            f"请修正语法，格式见 {HOLIDAYS_README}",
            line=mark.line + 1 if mark is not None else None,
        )
    except yaml.YAMLError as exc:
        _fail(path, f"不是有效的 YAML：{exc}", f"请修正语法，格式见 {HOLIDAYS_README}")

    if not isinstance(doc, _Mapping):
        _fail(
            path,
            "文件应是含 year、source、holidays 和 workdays 的映射",
            f"可从 calendars/holidays/2027.yaml.example 改起，格式见 {HOLIDAYS_README}",
            value=doc,
        )
    unknown = [key for key in doc if key not in _TOP_KEYS]
    if unknown:
        _fail(
            path,
            f"没有键 {unknown[0]!r}",
            f"可用的键：{', '.join(_TOP_KEYS)}，请检查拼写",
            line=doc.line,
        )
    for key in ("year", "source", "holidays"):
        if key not in doc:
            _fail(path, f"缺少键 {key!r}", f"请补上，格式见 {HOLIDAYS_README}", line=doc.line)

    year = doc["year"]
    if isinstance(year, bool) or not isinstance(year, int):
        _fail(path, "year 应是整数", "请写作 year: 2027", value=year)
    name_match = _FILE_NAME_RE.fullmatch(path.name)
    if name_match is not None and int(name_match[1]) != year:
        _fail(
            path,
            f"year {year} 与文件名 {path.name} 不一致",
            f"请把文件改名为 {year}.yaml，或改正 year",
            value=year,
        )
    source = doc["source"]
    if not isinstance(source, str) or not source.strip():
        _fail(
            path,
            "source 应写明安排出自哪份通知",
            "如 source: 国务院办公厅关于2027年部分节假日安排的通知",
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
            "holidays 应是一个列表",
            "请写 holidays:，下面逐行如 `  - {name: 元旦, date: 2027-01-01}`",
            line=line,
            value=raw,
        )
    days: dict[dt.date, str] = {}
    seen_in: dict[dt.date, str] = {}
    for index, (item, item_line) in enumerate(zip(raw, raw.lines, strict=True), start=1):
        label = f"holidays 第{index}项"
        if not isinstance(item, _Mapping):
            _fail(
                path,
                "每项应是含 name 和 date（或 from 与 to）的映射",
                "请写作 `- {name: 清明节, date: 2027-04-05}`",
                line=item_line,
                entry=label,
                value=item,
            )
        unknown = [key for key in item if key not in _ENTRY_KEYS]
        if unknown:
            _fail(
                path,
                f"没有字段 {unknown[0]!r}",
                f"可用的字段：{', '.join(_ENTRY_KEYS)}，请检查拼写",
                line=item_line,
                entry=label,
            )
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            _fail(
                path,
                "name 应是节日名称",
                "请补上，如 name: 春节",
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
                    f"{day} 已列在 {seen_in[day]}",
                    "每天只列一次；某天属于另一节日时请拆分日期范围",
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
            "一项只能写 date 或 from/to 之一",
            "单日用 date:，连续几天用 from: 和 to:",
            line=line,
            entry=label,
        )
    if "date" in item:
        day = _read_date(path, year, item["date"], line, label, "date")
        return day, day
    if not has_range:
        _fail(
            path,
            "这一项没有日期",
            "请补上 date: YYYY-MM-DD，或用 from: 和 to: 写日期范围",
            line=line,
            entry=label,
        )
    for key in ("from", "to"):
        if key not in item:
            _fail(
                path,
                f"日期范围要同时有 from 和 to，缺少 {key!r}",
                f"请补上 {key}: YYYY-MM-DD（范围含首尾两天）",
                line=line,
                entry=label,
            )
    first = _read_date(path, year, item["from"], line, label, "from")
    last = _read_date(path, year, item["to"], line, label, "to")
    if last < first:
        _fail(
            path,
            f"结束日（{last}）早于开始日（{first}）",
            "请对调 from 和 to，或改正日期",
            line=line,
            entry=label,
        )
    if (last - first).days >= _MAX_HOLIDAY_SPAN_DAYS:
        _fail(
            path,
            f"放假{(last - first).days + 1}天不合常理",
            "请检查 to 的月份",
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
            "workdays 应是日期列表",
            "请写 workdays:，下面逐行如 `  - 2027-02-20`，没有调休写 workdays: []",
            line=line,
            value=raw,
        )
    days: set[dt.date] = set()
    for index, (item, item_line) in enumerate(zip(raw, raw.lines, strict=True), start=1):
        label = f"workdays 第{index}项"
        day = _read_date(path, year, item, item_line, label, None)
        if day in holidays:
            _fail(
                path,
                f"{day} 既列为假日（{holidays[day]}）又列为调休上班日",
                "请从其中一个列表删去",
                line=item_line,
                entry=label,
            )
        if day in days:
            _fail(
                path,
                f"{day} 列了两次",
                "请删去重复的一项，或改正为本意的日期",
                line=item_line,
                entry=label,
            )
        days.add(day)
    return days


def _read_date(
    path: Path, year: int, raw: object, line: int, label: str, field: str | None
) -> dt.date:
    entry = f"{label} 字段 {field!r}" if field else label
    if isinstance(raw, dt.datetime):
        _fail(path, "这里应写日期，不是时间", "请写作 YYYY-MM-DD", line=line, entry=entry)
    if isinstance(raw, dt.date):  # only reachable through an explicit !!timestamp tag
        day = raw
    else:
        if not isinstance(raw, str) or not _DATE_RE.fullmatch(raw):
            _fail(
                path,
                "不是日期",
                "日期请写作 YYYY-MM-DD，如 2027-04-05",
                line=line,
                entry=entry,
                value=raw,
            )
        try:
            day = dt.date.fromisoformat(raw)
        except ValueError:
            _fail(
                path,
                "日历上没有这一天",
                "请检查月和日",
                line=line,
                entry=entry,
                value=raw,
            )
    if day.year != year:
        _fail(
            path,
            f"{day} 不在{year}年",
            f"{day.year}年的日子请写在 {day.year}.yaml 中（跨年的假期分写在两个文件里）",
            line=line,
            entry=entry,
            value=str(day),
        )
    return day
