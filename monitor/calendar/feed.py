"""Calendar feeds: what a subscriber sees, built from the rules, registers and findings.

Pure: a :class:`FeedInput` (the subject, its orgs, the evaluator's findings and the records to
show), the rule pack, the working-day calendar and an explicit ``as_of`` in; a :class:`Feed` of
:class:`FeedEvent` values out. Stamping (SEQUENCE, LAST-MODIFIED) and writing iCalendar are in
:mod:`monitor.calendar.ical`; reading the store is in :mod:`monitor.calendar.service`.

Every event's UID is derived from (subject, rule, period), or from a record's natural key, so a
client that refreshes the feed updates events instead of duplicating them.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from monitor.core.domain import Finding, Meeting, Member, Org, OrgType, Status, record_key
from monitor.core.explain import STATUS_ZH, reason
from monitor.core.periods import Cadence, Period
from monitor.core.rules import Rule, RulePack, Subject
from monitor.core.schedule import ScheduledDay, scheduled_day
from monitor.core.workdays import WorkCalendar

UID_DOMAIN = "orglife"
MISSED_MARK = "【未按期召开】"
CADRE_MISSED_MARK = "【未按期参加】"  # a cadre 参加s a branch's life; the branch 召开s it


class FeedKind(StrEnum):
    BRANCH = "branch"  # a branch's own rules and its party groups'
    GROUP = "group"  # one party group
    CADRE = "cadre"  # a leading cadre's dual organisational life at their branch
    OVERSIGHT = "oversight"  # a higher-level org: deadlines across its subtree


@dataclass(frozen=True, slots=True)
class FeedSubject:
    """Whose feed it is: an org, or a leading cadre (``member``) of ``org``."""

    kind: FeedKind
    org: Org
    member: Member | None = None

    @property
    def code(self) -> str:
        """The org code or member id the feed is addressed by."""
        return self.member.id if self.member is not None else self.org.code

    @property
    def title(self) -> str:
        """The calendar's name in clients (X-WR-CALNAME)."""
        if self.member is not None:
            return f"{self.member.name}（{self.org.name}）双重组织生活"
        if self.kind is FeedKind.OVERSIGHT:
            return f"{self.org.name} 组织生活督导"
        return f"{self.org.name} 组织生活"

    @staticmethod
    def kind_for(org: Org) -> FeedKind:
        if org.type is OrgType.BRANCH:
            return FeedKind.BRANCH
        if org.type is OrgType.GROUP:
            return FeedKind.GROUP
        return FeedKind.OVERSIGHT


@dataclass(frozen=True, slots=True)
class FeedEvent:
    """One VEVENT: a timed session (aware datetimes) or an all-day entry (dates, end exclusive)."""

    uid: str
    summary: str
    description: str
    start: dt.date | dt.datetime
    end: dt.date | dt.datetime
    categories: tuple[str, ...] = ()
    reminders: tuple[int, ...] = ()  # days before the start, e.g. (7, 1)

    @property
    def all_day(self) -> bool:
        return not isinstance(self.start, dt.datetime)

    @property
    def day(self) -> dt.date:
        return self.start.date() if isinstance(self.start, dt.datetime) else self.start

    def digest(self) -> str:
        """A hash of everything a client shows: it changes exactly when the event changes."""
        parts = (
            self.uid,
            self.summary,
            self.description,
            self.start.isoformat(),
            self.end.isoformat(),
            "\x1e".join(self.categories),
            ",".join(map(str, self.reminders)),
        )
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Feed:
    subject: FeedSubject
    first: dt.date
    last: dt.date
    events: tuple[FeedEvent, ...]  # ordered by day, then UID


@dataclass(frozen=True, slots=True)
class FeedInput:
    """What the store supplies for one feed.

    ``findings`` cover the feed's orgs (and, for a cadre or a higher-level org, the leading
    cadres) for every period that overlaps the dates asked for; ``records`` are the meeting
    records to show as held sessions (for a cadre, those they attended).
    """

    subject: FeedSubject
    orgs: Mapping[str, Org]
    cadres: Mapping[str, Member]
    findings: Sequence[Finding]
    records: Sequence[Meeting] = ()
    names: Mapping[str, str] = field(default_factory=dict)  # member id -> name, for lecturers


def build_feed(
    data: FeedInput,
    pack: RulePack,
    workdays: WorkCalendar,
    *,
    as_of: dt.date,
    first: dt.date,
    last: dt.date,
) -> Feed:
    """The events of ``data``'s feed dated ``first`` to ``last`` (inclusive), as of ``as_of``."""
    if last < first:
        raise ValueError(f"the feed's last day {last} is earlier than its first day {first}")
    builder = _Builder(data, pack, workdays, as_of)
    if data.subject.kind is FeedKind.OVERSIGHT:
        events = list(builder.oversight_events())
    else:
        events = [*builder.requirement_events(), *builder.record_events()]
    events = [e for e in events if first <= e.day <= last]
    events.sort(key=lambda e: (e.day, e.uid))
    uids = [e.uid for e in events]
    if len(set(uids)) != len(uids):  # a bug, never bad input: a client would merge two events
        raise AssertionError(f"duplicate UIDs in the feed of {data.subject.code}")
    return Feed(data.subject, first, last, tuple(events))


def uid(*parts: str) -> str:
    """A UID from readable parts; characters outside ``[A-Za-z0-9_-]`` are %-escaped."""
    return ".".join(map(_uid_part, parts)) + f"@{UID_DOMAIN}"


_UID_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


# The same codes, rule ids and period labels recur in every feed.
@functools.lru_cache(maxsize=65_536)
def _uid_part(part: str) -> str:
    return _UID_UNSAFE.sub(_escape, part)


def _escape(match: re.Match[str]) -> str:
    return "".join(f"%{b:02X}" for b in match.group().encode())


def _md(day: dt.date) -> str:
    return f"{day.month}月{day.day}日"


def _ymd(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _scope(period: Period) -> str:
    """The period as seen from inside it (the event sits in it): 本季度, 下半年…"""
    if period.cadence is Cadence.MONTH:
        return "本月"
    if period.cadence is Cadence.TWO_MONTHS:
        return "本期"
    if period.cadence is Cadence.QUARTER:
        return "本季度"
    if period.cadence is Cadence.HALF_YEAR:
        return "上半年" if period.index == 1 else "下半年"
    return "本年度"


def _missed_mark(rule: Rule) -> str:
    return CADRE_MISSED_MARK if rule.applies_to is Subject.LEADING_CADRE else MISSED_MARK


def _verb(rule: Rule) -> str:
    """召开 a meeting, 参加 (a cadre), 开展 anything else (themed day, lesson, talks)."""
    if rule.applies_to is Subject.LEADING_CADRE:
        return "参加"
    return "召开" if rule.name.endswith(("会", "会议")) else "开展"


class _Builder:
    def __init__(
        self, data: FeedInput, pack: RulePack, workdays: WorkCalendar, as_of: dt.date
    ) -> None:
        self.data = data
        self.subject = data.subject
        self.pack = pack
        self.workdays = workdays
        self.as_of = as_of
        self.rules = {rule.id: rule for rule in pack.rules}
        self.names = pack.catalog.names
        self.records = {r.id: r for r in data.records if r.id is not None}
        # The kinds in the catalogue's order, for naming a record's kinds.
        self.kind_order = {kind: i for i, kind in enumerate(self.names)}
        # What every event of a rule says alike, worked out once per feed.
        self.requirement = {r.id: f"要求：{r.requirement_zh(self.names)}" for r in pack.rules}
        self.grace = {r.id: dt.timedelta(days=pack.grace_for(r)) for r in pack.rules}
        self.timing: dict[tuple[str, Period], tuple[dt.date, dt.date, str]] = {}
        self.footer = {
            r.id: [
                f"规则：{r.name}（{r.id}，{pack.origin.get(r.id, pack.name)}）",
                f"依据：{r.source}",
            ]
            for r in pack.rules
        }

    # --- requirement events: one per (subject, rule, period) ---------------------------------

    def _wanted(self, finding: Finding, rule: Rule) -> bool:
        subject = self.subject
        if finding.status in (Status.EXEMPT, Status.NOT_APPLICABLE):
            return False
        if subject.kind is FeedKind.CADRE:
            assert subject.member is not None
            if finding.member is not None:
                return finding.member == subject.member.id
            # The cadre takes part in their branch's (or group's) fixed-day sessions.
            return rule.schedule is not None and finding.org in (
                subject.member.org,
                subject.member.group,
            )
        if subject.kind is FeedKind.GROUP:
            return finding.member is None and finding.org == subject.org.code
        return finding.member is None and finding.org in self.data.orgs

    def requirement_events(self) -> Iterator[FeedEvent]:
        for finding in self.data.findings:
            rule = self.rules.get(finding.rule)
            if rule is None or not self._wanted(finding, rule):
                continue
            if rule.schedule is not None and finding.member is None:
                yield self._session(finding, rule)
            else:
                # A met deadline stays, marked met: a client that showed it open updates the
                # same event (SEQUENCE + 1) instead of losing it.
                yield self._deadline(finding, rule)

    def _who(self, finding: Finding) -> str:
        """A prefix naming the org when the event is not the feed's own org's (a party group)."""
        if finding.member is not None or finding.org == self.subject.org.code:
            return ""
        if self.subject.kind is FeedKind.CADRE:
            return ""
        return f"{self._short(finding.org)}："

    def _short(self, code: str) -> str:
        """A party group's name without its branch's name in front (第一网格党小组)."""
        org = self.data.orgs.get(code)
        if org is None:
            return code
        own = self.subject.org.name
        if org.name.startswith(own) and len(org.name) > len(own):
            return org.name[len(own) :]
        return org.name

    def _uid(self, finding: Finding) -> str:
        return self._for_feed(finding.rule, finding.period.label, finding.subject)

    def _for_feed(self, *parts: str) -> str:
        """A UID that no other feed uses: some clients (Google) merge equal UIDs across
        subscribed calendars, so a group's event in its branch's feed is named for both."""
        if parts[-2 if parts[0] == "record" else -1] != self.subject.code:
            return uid(*parts, self.subject.code)
        return uid(*parts)

    def _session(self, finding: Finding, rule: Rule) -> FeedEvent:
        """A fixed-day session (主题党日): timed, on the scheduled day, whatever its status."""
        assert rule.schedule is not None
        org = self.data.orgs[finding.org]
        period = finding.period
        when = scheduled_day(rule.schedule, org, period.year, period.first_month, self.workdays)
        name = f"{self._who(finding)}{rule.name}"
        if finding.status is Status.HELD:
            summary = f"{name}（已{_verb(rule)}）"
        elif finding.status is Status.MISSED:
            summary = f"{_missed_mark(rule)}{name}"
        else:
            summary = name
        lines = [f"{org.name}（{org.code}）{period.label_zh}{rule.name}"]
        lines.append(_day_note(when, self.workdays))
        held = [self.records[r] for r in finding.evidence.records if r in self.records]
        if held:
            lines.append(
                "实际开展："
                + "、".join(_ymd(r.date) + (f"（{r.topic}）" if r.topic else "") for r in held)
            )
        lines += self._rule_lines(finding, rule, org)
        return FeedEvent(
            uid=self._uid(finding),
            summary=summary,
            description="\n".join(lines),
            start=when.start,
            end=when.end,
            categories=("组织生活", rule.name, STATUS_ZH[finding.status]),
            reminders=self._reminders(finding, rule),
        )

    def _deadline(self, finding: Finding, rule: Rule) -> FeedEvent:
        """An all-day entry on the deadline's last workday saying what is still required (the
        deadline is the period's end, or the end of its make-up window: ``carry_over``)."""
        period = finding.period
        end, day, _ = self._timing(rule, period)
        org = self.data.orgs.get(finding.org)
        verb = _verb(rule)
        scope = _scope(period)
        name = f"{self._who(finding)}{rule.name}"
        counted = finding.evidence.counted
        if finding.status is Status.HELD:
            summary = f"{scope}{name}已{verb}"
        elif finding.status is Status.MISSED:
            summary = f"{_missed_mark(rule)}{scope}{name}"
        elif counted:
            summary = (
                f"{scope}{name}已{verb}{counted}次，尚需{rule.count - counted}次，截止{_md(end)}"
            )
        else:
            summary = f"{scope}{name}尚未{verb}，截止{_md(end)}"
        head = f"{org.name}（{org.code}）" if org is not None else finding.org
        if finding.member is not None:
            cadre = self.data.cadres.get(finding.member)
            head = f"{cadre.name if cadre else finding.member}（{finding.member}），{head}"
        lines = [f"{head}{period.label_zh}{rule.name}"]
        if day != end:
            lines.append(f"截止日期：{_ymd(end)}（最后一个工作日为{_ymd(day)}）")
        else:
            lines.append(f"截止日期：{_ymd(end)}")
        lines += self._rule_lines(finding, rule, org)
        return FeedEvent(
            uid=self._uid(finding),
            summary=summary,
            description="\n".join(lines),
            start=day,
            end=day + dt.timedelta(days=1),
            categories=("组织生活", rule.name, STATUS_ZH[finding.status]),
            reminders=self._reminders(finding, rule),
        )

    def _timing(self, rule: Rule, period: Period) -> tuple[dt.date, dt.date, str]:
        """The deadline, its last workday and the 期间 line: alike for every subject."""
        key = (rule.id, period)
        found = self.timing.get(key)
        if found is None:
            end = rule.deadline(period)
            grace = end + self.grace[rule.id]
            line = (
                f"期间：{period.label_zh}（{period.label}，{_md(period.start)}至{_md(period.end)}，"
                f"补录宽限至{_md(grace)}）"
            )
            found = self.timing[key] = (end, self.workdays.last_workday(period.start, end), line)
        return found

    def _rule_lines(self, finding: Finding, rule: Rule, org: Org | None) -> list[str]:
        return [
            self.requirement[rule.id],
            self._timing(rule, finding.period)[2],
            f"状态：{STATUS_ZH[finding.status]}。"
            + reason(finding, rule, self.pack, org, self.as_of),
            *self.footer[rule.id],
        ]

    def _reminders(self, finding: Finding, rule: Rule) -> tuple[int, ...]:
        return self.pack.reminders_for(rule) if finding.status is Status.OPEN else ()

    # --- held records: one all-day event per record ------------------------------------------

    def record_events(self) -> Iterator[FeedEvent]:
        counted: dict[int, list[str]] = defaultdict(list)
        for finding in self.data.findings:
            rule = self.rules.get(finding.rule)
            cadre_finding = finding.member is not None
            if rule is None or (self.subject.kind is FeedKind.CADRE) != cadre_finding:
                continue
            for record_id in finding.evidence.records:
                counted[record_id].append(f"{finding.period.label_zh}{rule.name}")
        for record in self.data.records:
            yield self._record(record, counted.get(record.id or 0, []))

    def _record(self, record: Meeting, counted_for: list[str]) -> FeedEvent:
        org = self.data.orgs.get(record.org)
        order = self.kind_order
        kinds = sorted(record.kinds, key=lambda k: order.get(k, len(order)))
        kinds_zh = "＋".join(self.names.get(k, k) for k in kinds)
        meetings = all(self.names.get(k, k).endswith(("会", "会议")) for k in kinds)
        verb = "已召开" if meetings else "已开展"
        who = ""
        if record.org != self.subject.org.code:
            who = f"{self._short(record.org)}："
        summary = f"【{verb}】{who}{kinds_zh}"
        if record.topic:
            # Topics often repeat the kind ("主题党日：走访慰问"); say it once.
            topic = record.topic.removeprefix(kinds_zh).lstrip("：:　 ") or record.topic
            summary += f"：{topic}"
        lines = [f"{org.name if org else record.org}（{record.org}）{_ymd(record.date)}{kinds_zh}"]
        if record.topic:
            lines.append(f"主题：{record.topic}")
        lines.append(_attendance(record))
        if record.lecturer:
            name = self.data.names.get(record.lecturer)
            lines.append(f"主讲人：{f'{name}（{record.lecturer}）' if name else record.lecturer}")
        if record.recorded is not None:
            late = (record.recorded - record.date).days
            note = f"（会后{late}天录入）" if late > 7 else ""
            lines.append(f"录入日期：{_ymd(record.recorded)}{note}")
        if counted_for:
            lines.append(f"计入：{'、'.join(counted_for)}")
        else:
            lines.append("计入：无（未达到任何规则的要求，如出席人数或主讲人）")
        return FeedEvent(
            uid=self._for_feed("record", record.org, record_key(record)[:16]),
            summary=summary,
            description="\n".join(lines),
            start=record.date,
            end=record.date + dt.timedelta(days=1),
            categories=("组织生活", "会议记录"),
        )

    # --- a higher-level org: one all-day deadline per (rule, period) across the subtree ------

    def oversight_events(self) -> Iterator[FeedEvent]:
        groups: dict[tuple[str, Period], list[Finding]] = defaultdict(list)
        for finding in self.data.findings:
            if finding.rule in self.rules and finding.status not in (
                Status.EXEMPT,
                Status.NOT_APPLICABLE,
            ):
                groups[(finding.rule, finding.period)].append(finding)
        for (rule_id, period), findings in groups.items():
            yield self._overview(self.rules[rule_id], period, findings)

    def _label(self, finding: Finding) -> str:
        if finding.member is not None:
            cadre = self.data.cadres.get(finding.member)
            return f"{cadre.name if cadre else finding.member}（{finding.member}）"
        org = self.data.orgs.get(finding.org)
        return f"{org.name if org else finding.org}（{finding.org}）"

    def _overview(self, rule: Rule, period: Period, findings: list[Finding]) -> FeedEvent:
        by_status: dict[Status, list[str]] = defaultdict(list)
        for finding in findings:
            by_status[finding.status].append(self._label(finding))
        held, missed, open_ = (len(by_status[s]) for s in (Status.HELD, Status.MISSED, Status.OPEN))
        unit = "名领导干部" if rule.applies_to is Subject.LEADING_CADRE else _UNITS[rule.applies_to]
        total = len(findings)
        verb = _verb(rule)
        scope = _scope(period)
        end = rule.deadline(period)
        day = self.workdays.last_workday(period.start, end)
        if missed:
            summary = f"{_missed_mark(rule)}{scope}{rule.name}：{missed}{unit}未按期{verb}"
        elif open_:
            summary = f"{scope}{rule.name}截止{_md(end)}：{open_}{unit}尚未{verb}（共{total}）"
        else:
            summary = f"{scope}{rule.name}：{total}{unit}均已{verb}"
        lines = [
            f"{self.subject.org.name}（{self.subject.org.code}）所辖{period.label_zh}{rule.name}",
            f"截止日期：{_ymd(end)}",
            f"要求：{rule.requirement_zh(self.names)}",
            f"期间：{period.label_zh}（{period.label}）",
            f"合计：应{verb}{total}，已{verb}{held}，未按期{missed}，进行中{open_}",
        ]
        for status, title in ((Status.MISSED, "未按期"), (Status.OPEN, "尚未完成")):
            if by_status[status]:
                lines.append(f"{title}：{'、'.join(by_status[status])}")
        lines.append(
            f"规则：{rule.name}（{rule.id}，{self.pack.origin.get(rule.id, self.pack.name)}）"
        )
        lines.append(f"依据：{rule.source}")
        return FeedEvent(
            uid=uid(rule.id, period.label, self.subject.code, "all"),
            summary=summary,
            description="\n".join(lines),
            start=day,
            end=day + dt.timedelta(days=1),
            categories=("组织生活", rule.name, "督导"),
            reminders=self.pack.reminders_for(rule) if open_ and not missed else (),
        )


_UNITS = {
    Subject.COMMITTEE: "个党委",
    Subject.GENERAL_BRANCH: "个党总支",
    Subject.BRANCH: "个支部",
    Subject.GROUP: "个党小组",
    Subject.LEADING_CADRE: "名领导干部",
}


def _day_note(when: ScheduledDay, workdays: WorkCalendar) -> str:
    text = f"时间：{_ymd(when.day)} {when.start:%H:%M}—{when.end:%H:%M}"
    if when.moved:
        text += f"（{_ymd(when.nominal)}为{when.moved_from_holiday}，"
        text += "顺延至下一个工作日）" if when.day > when.nominal else "提前至上一个工作日）"
    if when.provisional:
        text += f"；{when.day.year}年放假安排尚未公布，按推算的节假日安排，公布后以官方安排为准"
    return text


def _attendance(record: Meeting) -> str:
    if record.attended is not None and record.expected:
        return (
            f"出席：实到{record.attended}人／应到{record.expected}人"
            f"（{record.attended / record.expected:.0%}）"
        )
    if record.attended is not None:
        return f"出席：实到{record.attended}人"
    return "出席：未登记"
