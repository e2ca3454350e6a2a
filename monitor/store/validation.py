"""Import validation of the register store: every row checked against the file and the database.

Org parents, member branches and groups, meeting orgs, kinds and attendees (by id or by name)
are checked and resolved here; each problem is a RegisterError naming the file, line and column.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from json import dumps
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import Connection, func, insert, select

from monitor.core.domain import Meeting, Member, Org, OrgType, natural_key
from monitor.core.errors import OrglifeError, RegisterError, RegisterErrorCode
from monitor.core.kinds import KindCatalog
from monitor.core.periods import Period, attributed_month, month_index
from monitor.core.rules import Rule
from monitor.registers.readers import MeetingFields, Parsed
from monitor.store import bulk
from monitor.store.sql import (
    CHUNK,
    KIND_TABLE,
    MEMBER_TABLE,
    ORG_TABLE,
    all_rows,
    chunks,
    stored,
)
from monitor.text import cli as msg

if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "ALLOWED_PARENTS",
    "ORG_TYPE_ZH",
    "MeetingResolver",
    "OrgTree",
    "RowSource",
    "check_for_period",
    "check_member",
    "check_parent",
    "check_type_changes",
    "duplicate_record_error",
    "groups_by_name",
    "org_tree",
    "row_error",
    "with_group_code",
]

# Which parent types each org type may hang under (None: may be a root).
ALLOWED_PARENTS: dict[OrgType, frozenset[OrgType | None]] = {
    OrgType.COMMITTEE: frozenset({OrgType.COMMITTEE, None}),
    OrgType.GENERAL_BRANCH: frozenset({OrgType.COMMITTEE, None}),
    OrgType.BRANCH: frozenset({OrgType.COMMITTEE, OrgType.GENERAL_BRANCH, None}),
    OrgType.GROUP: frozenset({OrgType.BRANCH}),
}
ORG_TYPE_ZH = {
    OrgType.COMMITTEE: "党委",
    OrgType.GENERAL_BRANCH: "党总支",
    OrgType.BRANCH: "党支部",
    OrgType.GROUP: "党小组",
}

OrgTree = dict[str, tuple[OrgType, str | None]]  # code → (type, parent)


class RowSource(Protocol):
    """What an error needs of a register: its path and how its headers were written."""

    @property
    def path(self) -> Path: ...

    @property
    def columns(self) -> dict[str, str]: ...


def row_error(
    code: RegisterErrorCode,
    parsed: RowSource,
    line: int,
    column: str,
    value: object,
    message: str,
) -> RegisterError:
    return RegisterError(
        parsed.path,
        message,
        code=code,
        line=line,
        column=parsed.columns.get(column, column),
        value=value,
    )


def duplicate_record_error(source: RowSource, first: int, again: int, day: str) -> RegisterError:
    """Line ``again`` repeats the record of line ``first`` (held on ``day``) in the same file."""
    return row_error(
        RegisterErrorCode.DUPLICATE_ROW,
        source,
        again,
        "date",
        day,
        f"与第{first}行是同一条记录（组织、日期、类型、主题和授课人都相同）；"
        "请删去其中一行，或写明不同的主题",
    )


# --------------------------------------------------------------------------- orgs


def org_tree(conn: Connection) -> OrgTree:
    """Every registered org's type and parent, for validating an import against them."""
    found = all_rows(conn, select(ORG_TABLE.c.code, ORG_TABLE.c.type, ORG_TABLE.c.parent))
    return {str(code): (OrgType(kind), parent) for code, kind, parent in found}


def check_parent(parsed: Parsed[Org], org: Org, line: int, known: OrgTree) -> None:
    allowed = ALLOWED_PARENTS[org.type]
    if org.parent is None:
        if None not in allowed:
            raise row_error(
                RegisterErrorCode.MISSING_PARENT,
                parsed,
                line,
                "parent",
                "",
                f"{ORG_TYPE_ZH[org.type]}须填写上级组织编码（所属党支部）",
            )
        return
    if org.parent not in known:
        raise row_error(
            RegisterErrorCode.UNKNOWN_ORG,
            parsed,
            line,
            "parent",
            org.parent,
            "文件中和已登记的组织里都没有这个组织编码",
        )
    parent_type = known[org.parent][0]
    if parent_type not in allowed:
        raise row_error(
            RegisterErrorCode.WRONG_PARENT_TYPE,
            parsed,
            line,
            "parent",
            org.parent,
            f"{ORG_TYPE_ZH[org.type]}不能隶属于{ORG_TYPE_ZH[parent_type]}；上级只能是"
            f"{'、'.join(ORG_TYPE_ZH[t] for t in allowed if t is not None)}",
        )
    seen = {org.code}
    current: str | None = org.parent
    while current is not None:
        if current in seen:
            raise row_error(
                RegisterErrorCode.PARENT_LOOP,
                parsed,
                line,
                "parent",
                org.parent,
                "上级组织层层向上又回到了本组织，请检查上级组织编码",
            )
        seen.add(current)
        current = known.get(current, (None, None))[1]


def _counts_by(conn: Connection, column: Any, codes: list[str]) -> dict[str, int]:
    """How many members each of ``codes`` holds in ``column`` (their branch or their group)."""
    found: dict[str, int] = {}
    for chunk in chunks(codes, CHUNK):
        query = select(column, func.count()).where(column.in_(chunk)).group_by(column)
        found.update({str(code): int(n) for code, n in all_rows(conn, query)})
    return found


def check_type_changes(
    conn: Connection,
    parsed: Parsed[Org],
    before: OrgTree,
    after: OrgTree,
) -> None:
    """An org's type may change only when its members and its children stay valid.

    ``before`` is the registered tree, ``after`` the tree with the file applied. A 党支部 with
    members or 党小组 cannot become a 党委 or a 党小组; a 党小组 with members cannot become
    anything else; every child must still be allowed under the new type.
    """
    changed = {
        org.code: (line, before[org.code][0], org.type)
        for org, line in zip(parsed.records, parsed.lines, strict=True)
        if org.code in before and before[org.code][0] is not org.type
    }
    if not changed:
        return
    codes = sorted(changed)
    members = _counts_by(conn, MEMBER_TABLE.c.org, codes)
    grouped = _counts_by(conn, MEMBER_TABLE.c.grp, codes)
    children: dict[str, list[tuple[str, OrgType]]] = {}
    for code, (kind, parent) in after.items():
        if parent in changed:
            children.setdefault(parent, []).append((code, kind))
    for code in codes:
        line, old, new = changed[code]
        change = f"“{code}”原为{ORG_TYPE_ZH[old]}，不能改为{ORG_TYPE_ZH[new]}"
        if new is not OrgType.BRANCH and members.get(code):
            raise row_error(
                RegisterErrorCode.NOT_A_BRANCH,
                parsed,
                line,
                "type",
                ORG_TYPE_ZH[new],
                f"{change}：它有 {members[code]} 名党员，党员只能属于党支部；"
                "请先把党员转到其他党支部",
            )
        if new is not OrgType.GROUP and grouped.get(code):
            raise row_error(
                RegisterErrorCode.NOT_A_BRANCH,
                parsed,
                line,
                "type",
                ORG_TYPE_ZH[new],
                f"{change}：它有 {grouped[code]} 名党小组成员；请先调整这些党员的所在党小组",
            )
        wrong = sorted(c for c, kind in children.get(code, []) if new not in ALLOWED_PARENTS[kind])
        if wrong:
            kinds = dict(children[code])
            listed = "、".join(f"{c}（{ORG_TYPE_ZH[kinds[c]]}）" for c in wrong[:5])
            more = f"等 {len(wrong)} 个" if len(wrong) > 5 else ""
            raise row_error(
                RegisterErrorCode.WRONG_PARENT_TYPE,
                parsed,
                line,
                "type",
                ORG_TYPE_ZH[new],
                f"{change}：下级组织 {listed}{more}不能隶属于{ORG_TYPE_ZH[new]}；"
                "请先调整这些下级组织",
            )


# --------------------------------------------------------------------------- members


def groups_by_name(conn: Connection) -> dict[tuple[str, str], list[str]]:
    """Party-group codes by (branch code, group name), and by (branch code, short name).

    Registers often call a group by its short name ("第一党小组") where the org register gives
    it in full ("幸福社区第一党小组"): every ending of two characters or more of a group's name
    is a key too, so a short name that ends only one group's name in its branch finds it.
    """
    query = select(ORG_TABLE.c.code, ORG_TABLE.c.name, ORG_TABLE.c.parent).where(
        ORG_TABLE.c.type == OrgType.GROUP.value
    )
    exact: dict[tuple[str, str], list[str]] = {}
    short: dict[tuple[str, str], set[str]] = {}
    for code, name, parent in all_rows(conn, query):
        branch, name = str(parent), str(name)
        exact.setdefault((branch, name), []).append(str(code))
        for start in range(1, len(name) - 1):
            short.setdefault((branch, name[start:]), set()).add(str(code))
    found = dict(exact)
    for key, codes in short.items():
        found.setdefault(key, sorted(codes))  # a full name always wins over a suffix
    return found


def with_group_code(member: Member, by_name: dict[tuple[str, str], list[str]]) -> Member:
    """The member with its group given by code, when the register named a group of its branch
    (by its full name, or by a short name unique in the branch)."""
    if member.group is None:
        return member
    codes = by_name.get((member.org, member.group), [])
    if len(codes) != 1:
        return member  # unknown or ambiguous: validation reports it
    return dataclasses.replace(member, group=codes[0])


def check_member(parsed: Parsed[Member], member: Member, line: int, orgs: OrgTree) -> Member:
    org = orgs.get(member.org)
    if org is None:
        raise row_error(
            RegisterErrorCode.UNKNOWN_ORG,
            parsed,
            line,
            "org",
            member.org,
            "没有登记这个组织编码；请先导入组织台账",
        )
    if org[0] is not OrgType.BRANCH:
        raise row_error(
            RegisterErrorCode.NOT_A_BRANCH,
            parsed,
            line,
            "org",
            member.org,
            f"党员应属于党支部，而这个组织是{ORG_TYPE_ZH[org[0]]}",
        )
    if member.group is not None:
        group = orgs.get(member.group)
        if group is None or group[0] is not OrgType.GROUP:
            raise row_error(
                RegisterErrorCode.UNKNOWN_GROUP,
                parsed,
                line,
                "group",
                member.group,
                "没有登记这个党小组（按编码，或按该党员所在支部内的名称）",
            )
        if group[1] != member.org:
            raise row_error(
                RegisterErrorCode.FOREIGN_GROUP,
                parsed,
                line,
                "group",
                member.group,
                f"这个党小组属于 {group[1]}，不属于该党员所在的党支部 {member.org}",
            )
    return member


# --------------------------------------------------------------------------- meetings


def _ensure_kinds(conn: Connection, catalog: KindCatalog, used: set[str]) -> dict[str, int]:
    found = all_rows(conn, select(KIND_TABLE.c.id, KIND_TABLE.c.bit))
    bits = {str(k): int(b) for k, b in found}
    for kind_id in sorted(used - set(bits)):
        bit = max(bits.values(), default=-1) + 1
        if bit > 62:
            raise RegisterError(
                "meeting_kind",
                "会议类型超过 63 种，系统无法记录",
                code=RegisterErrorCode.TOO_MANY_KINDS,
            )
        name = catalog.get(kind_id).name if kind_id in catalog else kind_id
        conn.execute(insert(KIND_TABLE).values(id=kind_id, bit=bit, name=name))
        bits[kind_id] = bit
    return bits


def _members_by_name(conn: Connection, names: set[str]) -> dict[str, list[tuple[str, str, str]]]:
    """(id, branch, group) of the members bearing each of ``names``."""
    found: dict[str, list[tuple[str, str, str]]] = {}
    columns = (MEMBER_TABLE.c.name, MEMBER_TABLE.c.id, MEMBER_TABLE.c.org, MEMBER_TABLE.c.grp)
    for chunk in chunks(sorted(names), CHUNK):
        for name, member_id, org, group in all_rows(
            conn, select(*columns).where(MEMBER_TABLE.c.name.in_(chunk))
        ):
            found.setdefault(str(name), []).append((str(member_id), str(org), str(group)))
    return found


def _attendee_id(
    parsed: RowSource,
    line: int,
    meeting: Meeting | MeetingFields,
    attendee: str,
    by_name: dict[str, list[tuple[str, str, str]]],
) -> str:
    """The id of the member an attendance list names, who must belong to the meeting's org."""
    candidates = [m for m, org, group in by_name.get(attendee, []) if meeting.org in (org, group)]
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        problem = (
            f"{meeting.org} 有 {len(candidates)} 名党员同名（{'、'.join(candidates)}）；"
            "请改用党员编号"
        )
    else:
        problem = (
            "没有登记这个党员（按编号，或按会议所属组织内的姓名）；请先导入党员台账，或更正这一项"
        )
    raise row_error(
        RegisterErrorCode.UNKNOWN_ATTENDEE, parsed, line, "attendees", attendee, problem
    )


class MeetingResolver:
    """Turns records into staging rows, checking orgs, kinds and attendees a chunk at a time.

    Each chunk looks up only the org codes and attendee entries it names that earlier chunks
    have not, so a one-row file reads two rows of the province and a big file a few batches.
    """

    def __init__(
        self,
        conn: Connection,
        source: RowSource,
        catalog: KindCatalog,
        rules: Sequence[Rule] = (),
    ) -> None:
        self.conn = conn
        self.source = source
        self.catalog = catalog
        self.rules = tuple(rules)
        self.bits: dict[str, int] = {}
        self.orgs: set[str] = set()
        self.member_ids: set[str] = set()
        self.by_name: dict[str, list[tuple[str, str, str]]] = {}
        self.names_looked_up: set[str] = set()
        self._days: dict[dt.date, tuple[Any, str, int]] = {}  # date → (staged, ISO, month)
        self._kinds: dict[frozenset[str], tuple[int, str]] = {}  # kinds → (bitmask, key part)

    def periods(self) -> dict[int, int]:
        """Bitmasks of the kinds seen, by the length in months of their shortest period among
        the rules that count them (kinds no rule counts are left out)."""
        shortest: dict[str, int] = {}
        for rule in self.rules:
            for kind in rule.kinds:
                months = rule.period.months
                shortest[kind] = min(months, shortest.get(kind, months))
        masks: dict[int, int] = {}
        for kind, bit in self.bits.items():
            if kind in shortest:
                masks[shortest[kind]] = masks.get(shortest[kind], 0) | (1 << bit)
        return {mask: months for months, mask in masks.items()}

    def rows(
        self, chunk: Sequence[tuple[int, Meeting | MeetingFields]], *, text_dates: bool = False
    ) -> list[bulk.StageRow]:
        """The staging rows of ``chunk``: attendees as a JSON array of member ids, each once;
        ``text_dates`` gives dates as ISO text (what SQLite's driver takes)."""
        self._look_up(chunk)
        staged: list[bulk.StageRow] = []
        # A file holds few distinct dates and kind sets: each is converted once.
        days = self._days
        kinds_of = self._kinds
        orgs, member_ids, rules, source = self.orgs, self.member_ids, self.rules, self.source
        for line, meeting in chunk:
            org = meeting.org
            if org not in orgs:
                raise row_error(
                    RegisterErrorCode.UNKNOWN_ORG,
                    source,
                    line,
                    "org",
                    org,
                    "没有登记这个组织编码；请先导入组织台账，或更正编码",
                )
            date = meeting.date
            day = days.get(date)
            if day is None:
                iso = date.isoformat()
                day = days[date] = (iso if text_dates else date, iso, month_index(date))
            kinds = kinds_of.get(meeting.kinds)
            if kinds is None:
                kinds = kinds_of[meeting.kinds] = (
                    sum(1 << self.bits[k] for k in meeting.kinds),
                    "+".join(sorted(meeting.kinds)),
                )
            topic, lecturer, for_period = meeting.topic, meeting.lecturer, meeting.for_period
            key = natural_key(org, day[1], kinds[1], topic, lecturer)
            month = day[2]
            if for_period is not None:
                check_for_period(source, line, meeting, rules)
                month = attributed_month(date, for_period)
            recorded: dt.date | str | None = meeting.recorded
            if meeting.recorded is not None and text_dates:
                entered = days.get(meeting.recorded)
                recorded = entered[1] if entered else meeting.recorded.isoformat()
            attendees = None
            if meeting.attendees:
                ids = [
                    attendee
                    if attendee in member_ids
                    else _attendee_id(source, line, meeting, attendee, self.by_name)
                    for attendee in meeting.attendees
                ]
                attendees = _json_list(ids)
            staged.append(
                (
                    line,
                    key,
                    org,
                    kinds[0],
                    day[0],
                    month,
                    meeting.expected,
                    meeting.attended,
                    lecturer,
                    topic,
                    recorded,
                    for_period,
                    attendees,
                )
            )
        return staged

    def _look_up(self, chunk: Sequence[tuple[int, Meeting | MeetingFields]]) -> None:
        kinds = {k for _, m in chunk for k in m.kinds} - self.bits.keys()
        if kinds:
            self.bits = _ensure_kinds(self.conn, self.catalog, kinds)
        orgs = {m.org for _, m in chunk} - self.orgs
        self.orgs |= stored(self.conn, ORG_TABLE.c.code, orgs)
        entries = {a for _, m in chunk for a in m.attendees} - self.member_ids
        entries -= self.names_looked_up
        found = stored(self.conn, MEMBER_TABLE.c.id, entries)
        self.member_ids |= found
        # Attendance lists written with names instead of ids are resolved per meeting.
        names = entries - found
        self.by_name.update(_members_by_name(self.conn, names))
        self.names_looked_up |= names


def _json_list(ids: list[str]) -> str:
    """The member ids as a JSON array, each once (listed by id and again by name: once)."""
    unique = list(dict.fromkeys(ids))
    joined = '","'.join(unique)
    # Ids hold no control characters (the reader refuses them): unless one holds a quote or a
    # backslash, quoting them is all JSON asks.
    if "\\" in joined or joined.count('"') != 2 * (len(unique) - 1):
        return dumps(unique)
    return f'["{joined}"]'


def check_for_period(
    source: RowSource, line: int, meeting: Meeting | MeetingFields, rules: Sequence[Rule]
) -> None:
    """A record counts for an earlier period only within every applicable rule's window.

    For each rule counting one of the record's kinds, the record is attributed to the rule's
    period that holds the last month of ``for_period``; it must be held from that period's start
    (and not before ``for_period`` itself starts) to its end plus the rule's ``carry_over``.
    Leading cadres' rules are not checked: a cadre's attendance follows the meeting, which
    counts for the period the branch's own rules allowed.
    """
    label = meeting.for_period
    assert label is not None
    try:
        period = Period.parse(label)
    except OrglifeError:
        raise row_error(
            RegisterErrorCode.BAD_FOR_PERIOD,
            source,
            line,
            "for_period",
            label,
            msg.for_period_unknown(label=label),
        ) from None
    day = meeting.date
    if day < period.start:
        raise row_error(
            RegisterErrorCode.BAD_FOR_PERIOD,
            source,
            line,
            "for_period",
            label,
            msg.for_period_not_started(label=period.label_zh, start=period.start),
        )
    for rule in rules:
        if rule.applies_to.is_member or meeting.kinds.isdisjoint(rule.kinds):
            continue
        held_in = Period.containing(rule.period, period.end)
        deadline = rule.deadline(held_in)
        if held_in.start <= day <= deadline:
            continue
        if rule.carry_over and day > held_in.end:
            text = msg.for_period_window(
                label=held_in.label_zh,
                first=held_in.end + dt.timedelta(days=1),
                last=deadline,
                rule=rule.name,
            )
        else:
            text = msg.for_period_no_window(
                label=held_in.label_zh, start=held_in.start, end=held_in.end, rule=rule.name
            )
        raise row_error(
            RegisterErrorCode.OUTSIDE_MAKE_UP_WINDOW, source, line, "for_period", label, text
        )
