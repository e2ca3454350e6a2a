"""Rule packs: required cadences read from YAML, validated, and layered on the baseline."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

import monitor
from monitor.core.errors import RulePackError
from monitor.core.kinds import CORE_KINDS, KindCatalog
from monitor.core.periods import Cadence, Period, month_index

BASELINE_FILE = "national.yaml"
_ID_RE = r"^[a-z][a-z0-9_]*$"
# Days before a due date that a calendar reminds (0 = on the day).
ReminderDays = Annotated[int, Field(ge=0, le=90)]
# `carry_over: 3 months`, `3 month`, `3个月`, `3月` or a bare number of months.
_CARRY_RE = re.compile(r"^(\d{1,2})\s*(?:months?|个月|个月份|月)?$", re.IGNORECASE)
_BYDAY_RE = re.compile(r"^(?:([+-]?[1-5])(MO|TU|WE|TH|FR|SA|SU)|([1-9]|[12][0-9]|3[01]))$")


class Subject(StrEnum):
    """Whom a rule binds: an org of a type, or a member who is a leading cadre."""

    COMMITTEE = "committee"
    GENERAL_BRANCH = "general_branch"
    BRANCH = "branch"
    GROUP = "group"
    LEADING_CADRE = "leading_cadre"

    @property
    def is_member(self) -> bool:
        return self is Subject.LEADING_CADRE


SUBJECT_ZH = {
    Subject.COMMITTEE: "党委",
    Subject.GENERAL_BRANCH: "党总支",
    Subject.BRANCH: "党支部",
    Subject.GROUP: "党小组",
    Subject.LEADING_CADRE: "党员领导干部",
}


class Roster(StrEnum):
    """Whom 应到人数 counts when a record leaves it blank."""

    FULL_MEMBERS = "full_members"
    COMMITTEE_MEMBERS = "committee_members"


class Shift(StrEnum):
    NEXT_WORKDAY = "next_workday"
    PREVIOUS_WORKDAY = "previous_workday"
    NONE = "none"


# Words a rule pack's author may reach for; the canonical values are the enums' own.
PERIOD_ALIASES = {
    "monthly": "month",
    "每月": "month",
    "bimonthly": "two_months",
    "every_two_months": "two_months",
    "每两月": "two_months",
    "每两个月": "two_months",
    "quarterly": "quarter",
    "每季度": "quarter",
    "half_yearly": "half_year",
    "semiannual": "half_year",
    "每半年": "half_year",
    "yearly": "year",
    "annual": "year",
    "每年": "year",
}
SUBJECT_ALIASES = {
    "党委": "committee",
    "党总支": "general_branch",
    "党支部": "branch",
    "支部": "branch",
    "党小组": "group",
    "领导干部": "leading_cadre",
    "党员领导干部": "leading_cadre",
}
# Field names an author may use for the canonical ones (merged before validation).
FIELD_ALIASES = {"cadence": "period", "quorum": "min_attendance", "kind": "kinds"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Schedule(_Strict):
    """A fixed day in each period (the themed Party day), for calendars and reminders."""

    day: str = Field(
        default="party_day",
        description="`party_day` (the org's own day), a day of month `15`, or BYDAY like `1FR`",
    )
    default_day: str = Field(default="1FR", description="used when the org names no day")
    shift: Shift = Shift.NEXT_WORKDAY
    start: dt.time = dt.time(9, 0)
    end: dt.time = dt.time(11, 0)

    @field_validator("day", "default_day")
    @classmethod
    def _day_is_valid(cls, value: str) -> str:
        value = str(value).strip().upper()
        if value == "PARTY_DAY":
            return "party_day"
        if not _BYDAY_RE.match(value):
            raise ValueError(
                f"“{value}”不是日子：请写 party_day（各支部自己的主题党日）、"
                "每月几号（1-31），或如 1FR（第一个周五）、-1FR（最后一个周五）"
            )
        return value

    @model_validator(mode="after")
    def _ends_after_start(self) -> Schedule:
        if self.end <= self.start:
            raise ValueError(f"结束时间{self.end}须晚于开始时间{self.start}")
        return self


class Rule(_Strict):
    """One required cadence: who, how often, how many, and which records count."""

    id: str = Field(pattern=_ID_RE)
    name: str = Field(min_length=1)
    applies_to: Subject
    period: Cadence
    kinds: tuple[str, ...] = Field(min_length=1)
    count: int = Field(default=1, ge=1, le=100)
    min_attendance: float | None = Field(default=None, gt=0, le=1)
    roster: Roster | None = None
    lecturer: Literal["secretary"] | None = None
    requires_committee: bool = False
    committee_min_full_members: int = Field(default=7, ge=1)
    grace_days: int | None = Field(default=None, ge=0, le=366)
    carry_over: int = Field(
        default=0,
        ge=0,
        le=12,
        description="months after the period in which a record may still be held for it "
        "(`3 months`, `3个月`); the period's deadline is its end plus this window",
    )
    reminders: tuple[ReminderDays, ...] | None = Field(
        default=None, description="days before a due date that calendars remind, e.g. [7, 1]"
    )
    schedule: Schedule | None = None
    source: str = Field(min_length=1)
    note: str | None = None
    enabled: bool = True

    @field_validator("period", mode="before")
    @classmethod
    def _period_alias(cls, value: object) -> object:
        return PERIOD_ALIASES.get(str(value).strip().lower(), value)

    @field_validator("carry_over", mode="before")
    @classmethod
    def _carry_over_months(cls, value: object) -> object:
        if value is None:
            return 0
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        m = _CARRY_RE.match(str(value).strip()) if isinstance(value, str) else None
        if m is None:
            raise ValueError("carry_over 写补开期的月数，如 3 months 或 3个月")
        return int(m[1])

    @field_validator("applies_to", mode="before")
    @classmethod
    def _subject_alias(cls, value: object) -> object:
        return SUBJECT_ALIASES.get(str(value).strip().lower(), value)

    @model_validator(mode="after")
    def _coherent(self) -> Rule:
        if self.requires_committee and self.applies_to is not Subject.BRANCH:
            raise ValueError("requires_committee 只用于 applies_to: branch（党支部）的规则")
        if self.lecturer and self.applies_to.is_member:
            raise ValueError("lecturer 只用于组织的规则，不用于 leading_cadre（领导干部）")
        return self

    def deadline(self, period: Period) -> dt.date:
        """The last day a record may be held for ``period``: its end, plus the make-up window."""
        if not self.carry_over:
            return period.end
        month = month_index(period.end) + self.carry_over
        year, month0 = divmod(month, 12)
        return Period(Cadence.MONTH, year, month0 + 1).end

    @property
    def default_roster(self) -> Roster | None:
        """The roster that stands in for a blank 应到人数, if the rule has a quorum."""
        if self.min_attendance is None:
            return None
        if self.roster is not None:
            return self.roster
        if self.kinds == ("committee_meeting",):
            return Roster.COMMITTEE_MEMBERS
        return Roster.FULL_MEMBERS

    def requirement_zh(self, kind_names: Mapping[str, str]) -> str:
        """The requirement in a secretary's words, e.g. 每季度至少1次支部党员大会（出席过半）."""
        kinds = "或".join(kind_names.get(k, k) for k in self.kinds)
        text = f"{self.period.label_zh}至少{self.count}次{kinds}"
        extras = []
        if self.min_attendance is not None:
            extras.append(
                "出席过半"
                if self.min_attendance == 0.5
                else f"出席率不低于{self.min_attendance:.0%}"
            )
        if self.lecturer == "secretary":
            extras.append("由支部书记讲授")
        if self.applies_to.is_member:
            extras.append("本人列入所在支部或党小组的参会人员")
        if self.requires_committee:
            extras.append(f"设支委会的支部（或正式党员{self.committee_min_full_members}人以上）")
        if self.carry_over:
            extras.append(f"可于期满后{self.carry_over}个月内补开")
        return text + (f"（{'；'.join(extras)}）" if extras else "")


class Escalation(_Strict):
    """Escalation until fixed (三色预警): how unrectified ledger items are repeated and coloured.

    Pack level (``escalation:``); an overlay may change any field. The defaults are the
    national pack's, which follow common local practice (荣县 三色预警), not a national text.
    """

    enabled: bool = Field(
        default=True, description="false: no colours, no repeats and no red escalations"
    )
    repeat_every_days: int = Field(
        default=7,
        ge=0,
        le=366,
        description="re-announce an unrectified item to the branch chat every this many days "
        "after it was opened (0: no repeats)",
    )
    quiet_days: bool = Field(
        default=True,
        description="repeats only on workdays: one due on a weekend or a holiday waits for the "
        "next workday",
    )
    red_after_consecutive: int = Field(
        default=2,
        ge=0,
        le=12,
        description="the same rule missed by the same subject this many periods in a row "
        "turns the latest item red (0: never by this rule)",
    )
    red_when_overdue: bool = Field(
        default=True, description="an item past its rectification deadline is red"
    )
    interview_after: int = Field(
        default=2,
        ge=0,
        le=12,
        description="consecutive yellow or red warnings that lead to a talk (约谈), named in the "
        "red notice (0: not mentioned)",
    )

    @field_validator("red_after_consecutive")
    @classmethod
    def _two_or_more(cls, value: int) -> int:
        if value == 1:
            raise ValueError(
                "red_after_consecutive 写连续几期未开展即升为红色预警：0（不按连续期次升级）"
                "或不小于2的整数；1 会让每个问题一出现就是红色"
            )
        return value


class KindDecl(_Strict):
    """A meeting kind an overlay adds (e.g. a district's 党建工作座谈会)."""

    id: str = Field(pattern=_ID_RE)
    name: str = Field(min_length=1)
    aliases: tuple[str, ...] = ()


class _PackFile(_Strict):
    pack: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    title: str = Field(min_length=1)
    description: str | None = None
    grace_days: int | None = Field(default=None, ge=0, le=366)
    reminders: tuple[ReminderDays, ...] | None = None
    kinds: tuple[KindDecl, ...] = ()
    rules: tuple[dict[str, Any], ...] = ()
    escalation: dict[str, Any] | None = None  # validated as Escalation once layered


@dataclass(frozen=True, slots=True)
class RulePack:
    """The rules in force after layering overlays on the baseline."""

    name: str
    title: str
    grace_days: int
    rules: tuple[Rule, ...]
    catalog: KindCatalog
    files: tuple[Path, ...]
    origin: Mapping[str, str]  # rule id -> the pack that last defined or changed it
    reminders: tuple[int, ...] = (7, 1)  # days before a due date that calendars remind
    escalation: Escalation = dataclass_field(default_factory=Escalation)  # 三色预警 (ledger items)

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def grace_for(self, rule: Rule) -> int:
        return self.grace_days if rule.grace_days is None else rule.grace_days

    def reminders_for(self, rule: Rule) -> tuple[int, ...]:
        """Days before a due date that calendars remind, latest reminder last."""
        days = self.reminders if rule.reminders is None else rule.reminders
        return tuple(sorted(set(days), reverse=True))


DEFAULT_GRACE_DAYS = 5
DEFAULT_REMINDERS = (7, 1)


def bundled_rules_dir() -> Path:
    """The default rule packs: inside the wheel, or the repo's rules/ when run from source."""
    package = Path(monitor.__file__).parent
    for candidate in (package / "_rules", package.parent / "rules"):
        if (candidate / BASELINE_FILE).is_file():
            return candidate
    raise RulePackError(package / "_rules", "缺少内置的全国基线规则包，请重新安装 orglife")


def baseline_path() -> Path:
    return bundled_rules_dir() / BASELINE_FILE


def load_pack(overlays: Sequence[Path] = (), *, baseline: Path | None = None) -> RulePack:
    """Layer ``overlays`` in order on the baseline; one named like the baseline replaces it."""
    base_file = baseline or baseline_path()
    base = _read(base_file)
    layers = [(base_file, base)]
    for path in overlays:
        layer = _read(path)
        if layer[0].pack == base[0].pack:
            layers[0] = (path, layer)
        else:
            layers.append((path, layer))
    return _merge(layers)


def _merge(layers: Sequence[tuple[Path, tuple[_PackFile, dict[str, int]]]]) -> RulePack:
    merged: dict[str, dict[str, Any]] = {}
    origin: dict[str, str] = {}
    where: dict[str, tuple[Path, int | None]] = {}
    catalog = KindCatalog(CORE_KINDS)
    grace = DEFAULT_GRACE_DAYS
    reminders: tuple[int, ...] = DEFAULT_REMINDERS
    escalation: dict[str, Any] = {}
    escalation_at: dict[str, tuple[Path, int | None]] = {}  # field -> where it was last set
    title = ""
    for path, (pack, lines) in layers:
        title = pack.title if not title else f"{title} + {pack.title}"
        if pack.grace_days is not None:
            grace = pack.grace_days
        if pack.reminders is not None:
            reminders = pack.reminders
        if pack.escalation is not None:
            escalation = {**escalation, **pack.escalation}
            for key in ("", *pack.escalation):
                dotted = f"escalation.{key}" if key else "escalation"
                escalation_at[key] = (path, lines.get(dotted, lines.get("escalation")))
        try:
            catalog = catalog.with_extra((k.id, k.name, k.aliases) for k in pack.kinds)
        except ValueError as exc:
            raise RulePackError(path, str(exc), field="kinds") from None
        for index, raw in enumerate(pack.rules):
            rule_id = raw.get("id")
            line = lines.get(f"rules.{index}")
            if not isinstance(rule_id, str) or not rule_id:
                raise RulePackError(
                    path, f"第{index + 1}条规则没有 id，每条规则都要写 id:", field="id", line=line
                )
            raw = {FIELD_ALIASES.get(k, k): v for k, v in raw.items()}
            merged[rule_id] = {**merged.get(rule_id, {}), **raw}
            origin[rule_id] = pack.pack
            where[rule_id] = (path, line)
    rules: list[Rule] = []
    for rule_id, raw in merged.items():
        path, line = where[rule_id]
        rule = _validate_rule(path, rule_id, raw, line)
        unknown = [k for k in rule.kinds if k not in catalog]
        if unknown:
            known = ", ".join(k.id for k in catalog)
            raise RulePackError(
                path,
                f"没有“{unknown[0]}”这种会议类型；可用：{known}，或在 kinds: 下声明",
                rule=rule_id,
                field="kinds",
                line=line,
            )
        if rule.enabled:
            rules.append(rule)
    return RulePack(
        name="+".join(p.pack for _, (p, _) in layers),
        title=title,
        grace_days=grace,
        rules=tuple(rules),
        catalog=catalog,
        files=tuple(path for path, _ in layers),
        origin=origin,
        reminders=reminders,
        escalation=_validate_escalation(escalation, escalation_at),
    )


def _validate_escalation(
    raw: Mapping[str, Any], where: Mapping[str, tuple[Path, int | None]]
) -> Escalation:
    """The layered ``escalation:`` fields as :class:`Escalation`; an error names the field, and
    the file and line of the pack that last set it."""
    if not where:
        return Escalation()
    try:
        return Escalation.model_validate(dict(raw))
    except ValidationError as exc:
        error = exc.errors()[0]
        name = str(error["loc"][0]) if error["loc"] else ""
        path, line = where.get(name, where[""])
        if error["type"] == "extra_forbidden":
            message = f"没有这个字段；escalation 可用的字段：{', '.join(Escalation.model_fields)}"
        else:
            message = validation_problem_zh(error)
        dotted = f"escalation.{name}" if name else "escalation"
        raise RulePackError(path, message, field=dotted, line=line) from None


def _validate_rule(path: Path, rule_id: str, raw: Mapping[str, Any], line: int | None) -> Rule:
    data = dict(raw)
    if isinstance(data.get("kinds"), str):
        data["kinds"] = [data["kinds"]]
    try:
        return Rule.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(p) for p in error["loc"]) or None
        if error["type"] == "missing":
            message = (
                "缺少必填字段（新规则须写 id、name、applies_to、period、kinds 和 source；"
                "修改基线规则请用其原 id）"
            )
        elif error["type"] == "extra_forbidden":
            message = f"没有这个字段；可用的字段：{', '.join(Rule.model_fields)}"
        else:
            message = validation_problem_zh(error)
        raise RulePackError(path, message, rule=rule_id, field=field, line=line) from None


def validation_problem_zh(error: Mapping[str, Any]) -> str:
    """A pydantic validation error of a rule pack said in Chinese, with the value given."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "value_error":
        problem = str(ctx.get("error", error["msg"]))
    elif kind in ("enum", "literal_error"):
        problem = f"不是允许的值（可选：{ctx.get('expected', '')}）"
    elif kind in _LIMITS:
        problem = f"应{_LIMITS[kind]}{ctx.get(_LIMIT_KEYS[kind], '')}"
    else:
        problem = _TYPES.get(kind, str(error["msg"]))
    if "input" in error and kind != "value_error":
        problem = f"{problem}（值：{error['input']!r}）"
    return problem


_LIMITS = {
    "greater_than_equal": "不小于",
    "greater_than": "大于",
    "less_than_equal": "不大于",
    "less_than": "小于",
}
_LIMIT_KEYS = {
    "greater_than_equal": "ge",
    "greater_than": "gt",
    "less_than_equal": "le",
    "less_than": "lt",
}
_TYPES = {
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "string_type": "应为文字",
    "list_type": "应为列表（如 [a, b]）",
    "dict_type": "应为映射（键: 值）",
    "model_type": "应为映射（键: 值）",
    "time_parsing": "应为时间（如 09:00）",
    "time_type": "应为时间（如 09:00）",
}


def _read(path: Path) -> tuple[_PackFile, dict[str, int]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RulePackError(path, "找不到这个规则包文件") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RulePackError(path, f"无法读取文件：{exc}") from None
    try:
        data = yaml.safe_load(text)
        lines = _rule_lines(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise RulePackError(path, f"不是有效的 YAML：{problem}", line=line) from None
    if not isinstance(data, dict):
        raise RulePackError(path, "规则包应是含 pack:、title: 和 rules: 的映射")
    try:
        return _PackFile.model_validate(data), lines
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = [str(p) for p in error["loc"]]
        rule = None
        if loc[:1] == ["rules"] and len(loc) > 1 and loc[1].isdigit():
            item = data.get("rules", [])[int(loc[1])]
            rule = item.get("id") if isinstance(item, dict) else None
        raise RulePackError(
            path,
            "缺少必填字段" if error["type"] == "missing" else validation_problem_zh(error),
            rule=rule,
            field=".".join(loc) or None,
            line=lines.get(".".join(loc[:2] if loc[:1] == ["rules"] else loc[:1])),
        ) from None


def _rule_lines(text: str) -> dict[str, int]:
    """Line numbers of each rules[i] mapping, so errors can point into the file."""
    node = yaml.compose(text)
    lines: dict[str, int] = {}
    if not isinstance(node, yaml.MappingNode):
        return lines
    for key, value in node.value:
        if key.value == "rules" and isinstance(value, yaml.SequenceNode):
            for index, item in enumerate(value.value):
                lines[f"rules.{index}"] = item.start_mark.line + 1
        elif key.value == "escalation":
            lines["escalation"] = key.start_mark.line + 1
            if isinstance(value, yaml.MappingNode):
                for name, _ in value.value:
                    lines[f"escalation.{name.value}"] = name.start_mark.line + 1
    return lines


def explain(pack: RulePack) -> list[dict[str, str]]:
    """One row per rule in force, in Chinese, for `orglife rules check`."""
    names = pack.catalog.names
    return [
        {
            "id": rule.id,
            "name": rule.name,
            "applies_to": SUBJECT_ZH[rule.applies_to],
            "requirement": rule.requirement_zh(names),
            "grace": f"{pack.grace_for(rule)}天",
            "source": rule.source,
            "pack": pack.origin.get(rule.id, ""),
        }
        for rule in pack.rules
    ]
