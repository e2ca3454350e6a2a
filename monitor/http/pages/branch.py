"""The secretary's home: ``/branch/{code}`` — this period's obligations of the branch and its
党小组 (deadline, status, days left; the 主题党日 on its scheduled day after holiday moves), what
was missed this year, the branch's records (newest first) and its ledger items to rectify.

Everything is computed from one evaluation of the branch's subtree (:func:`run_check`) into the
frozen view-model :class:`BranchHome`; the template only lays it out. An org outside the
caller's scope is the same 404 as one that does not exist.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.responses import Response

from monitor.accounts.model import Action
from monitor.attachments import Owner
from monitor.check import Check, run_check
from monitor.core.domain import Finding, Meeting, Org, OrgType, Status
from monitor.core.errors import UnknownOrgError
from monitor.core.explain import STATUS_ZH
from monitor.core.rules import RulePack
from monitor.core.schedule import ScheduledDay, scheduled_day
from monitor.core.workdays import WorkCalendar
from monitor.http.deps import StateDep
from monitor.http.html import redirect
from monitor.http.pages.common import not_found, show, signed_in, to_login
from monitor.ledger.model import STATUS_LABELS, LedgerItem, LedgerStatus
from monitor.ledger.store import LedgerStore
from monitor.reporting.summary import DEFAULT_LATE_DAYS
from monitor.store import records
from monitor.text.render import md_zh, ymd_zh

SHOWN = (Status.HELD, Status.MISSED, Status.OPEN, Status.EXEMPT)
WEEKDAYS_ZH = "一二三四五六日"
LATEST = 12  # records on the home; ?records=all lists every one since last January
TO_RECTIFY = (LedgerStatus.OPEN, LedgerStatus.RECTIFYING, LedgerStatus.OVERDUE)

router = APIRouter(include_in_schema=False)


# --- the view-model ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Obligation:
    """One (org, rule, period) of the branch or one of its groups."""

    subject: str  # the branch's name, or a group's name without the branch's in front
    rule: str
    period: str  # 2026年11月
    deadline: str  # 11月30日 (with the year when it is not this year's)
    status: Status
    status_zh: str
    due: str | None  # for 进行中: 还剩 6 天 / 今天截止 / 补录宽限期至12月7日
    scheduled: str | None  # 主题党日: the day it is due, after holiday moves


@dataclass(frozen=True, slots=True)
class MemberTally:
    """A member rule's current period, summarised: how many members have which status."""

    rule: str
    period: str
    counts: tuple[tuple[Status, str, int], ...]


@dataclass(frozen=True, slots=True)
class RecordRow:
    id: int
    date: str
    subject: str
    kinds: str  # 主题党日、党课
    attendance: str  # 实到/应到, e.g. 10/15; "" when neither is recorded
    topic: str
    late: bool  # 后补: entered after the period had been judged, more than a week late
    attachments: int


@dataclass(frozen=True, slots=True)
class LedgerRow:
    id: int
    issue: str
    deadline: str
    status: LedgerStatus
    status_zh: str


@dataclass(frozen=True, slots=True)
class BranchHome:
    """What the branch's page shows."""

    org: Org
    parent: Org | None
    as_of: dt.date
    totals: tuple[tuple[Status, str, int], ...]  # this year's org findings by status
    current: tuple[Obligation, ...]
    members: tuple[MemberTally, ...]
    missed: tuple[Obligation, ...]
    records: tuple[RecordRow, ...]
    ledger: tuple[LedgerRow, ...]
    may_edit: bool
    all_records: int = 0  # how many there are, when ``records`` shows only the latest

    @property
    def more_records(self) -> bool:
        return self.all_records > len(self.records)

    @property
    def new_record_url(self) -> str:
        return f"/branch/{quote(self.org.code, safe='')}/records/new"


def short_name(org: Org, branch: Org) -> str:
    """A group's name without its branch's in front (科技企业党小组); the branch's own name."""
    if org.code != branch.code and org.name.startswith(branch.name) and org.name != branch.name:
        return org.name[len(branch.name) :]
    return org.name


def day_zh(day: dt.date, today: dt.date) -> str:
    """11月30日, with the year when it is not ``today``'s (2027年3月31日)."""
    return md_zh(day) if day.year == today.year else ymd_zh(day)


def days_left(deadline: dt.date, grace_end: dt.date, today: dt.date) -> str:
    """How long an open obligation still has: 还剩 6 天, 今天截止, or the late-entry grace."""
    left = (deadline - today).days
    if left > 0:
        return f"还剩 {left} 天"
    if left == 0:
        return "今天截止"
    return f"已过截止日期，补录宽限期至{day_zh(grace_end, today)}"


def scheduled_text(when: ScheduledDay, today: dt.date) -> str:
    """When a fixed-day session is due: 11月10日（周二）09:00—11:00, and why it moved."""
    text = (
        f"{day_zh(when.day, today)}（周{WEEKDAYS_ZH[when.day.weekday()]}）"
        f"{when.start:%H:%M}—{when.end:%H:%M}"
    )
    if when.moved:
        way = "顺延" if when.day > when.nominal else "提前"
        text += f"（{md_zh(when.nominal)}为{when.moved_from_holiday}，{way}）"
    if when.provisional:
        text += "（节假日按推算，以官方公布为准）"
    return text


def late_records(
    findings: Iterable[Finding],
    meetings: Mapping[int, Meeting],
    pack: RulePack,
    late_days: int = DEFAULT_LATE_DAYS,
) -> set[int]:
    """Records entered late (后补), as the monthly summary counts them: a finding counted the
    record, and it was entered more than ``late_days`` days after the meeting and after that
    finding's period had been judged (its deadline and grace over)."""
    late: set[int] = set()
    gap = dt.timedelta(days=late_days)
    for finding in findings:
        if not finding.evidence.records:
            continue
        rule = pack.rule(finding.rule)
        judged = rule.deadline(finding.period) + dt.timedelta(days=pack.grace_for(rule))
        for record_id in finding.evidence.records:
            meeting = meetings.get(record_id)
            if meeting is None or meeting.recorded is None:
                continue
            if meeting.recorded > judged and meeting.recorded - meeting.date > gap:
                late.add(record_id)
    return late


def attendance_text(meeting: Meeting) -> str:
    if meeting.attended is None and meeting.expected is None:
        return ""
    shown = ["—" if n is None else str(n) for n in (meeting.attended, meeting.expected)]
    return "/".join(shown)


def branch_home(
    check: Check,
    pack: RulePack,
    workdays: WorkCalendar,
    code: str,
    *,
    parent: Org | None,
    stored: Sequence[records.StoredRecord],
    attachments: Mapping[int, int],
    ledger: Sequence[LedgerItem],
    may_edit: bool,
    latest: int | None = None,
) -> BranchHome:
    """The branch ``code``'s page from the evaluation of its subtree (as of ``check.as_of``);
    the ``latest`` records only, when given."""
    today = check.as_of
    orgs = check.registers.orgs
    branch = orgs[code]
    order = {rule.id: n for n, rule in enumerate(pack.rules)}

    def obligation(finding: Finding) -> Obligation:
        rule = pack.rule(finding.rule)
        period = finding.period
        deadline = rule.deadline(period)
        due = None
        if finding.status is Status.OPEN:
            grace_end = deadline + dt.timedelta(days=pack.grace_for(rule))
            due = days_left(deadline, grace_end, today)
        scheduled = None
        if rule.schedule is not None:
            when = scheduled_day(
                rule.schedule, orgs[finding.org], period.year, period.first_month, workdays
            )
            scheduled = scheduled_text(when, today)
        return Obligation(
            subject=short_name(orgs[finding.org], branch),
            rule=rule.name,
            period=period.label_zh,
            deadline=day_zh(deadline, today),
            status=finding.status,
            status_zh=STATUS_ZH[finding.status],
            due=due,
            scheduled=scheduled,
        )

    mine = [f for f in check.findings if f.status in SHOWN]
    org_findings = [f for f in mine if f.member is None]
    this_year = [f for f in org_findings if f.period.year == today.year]
    current = [
        f
        for f in org_findings
        if f.period.start <= today <= f.period.end or f.status is Status.OPEN
    ]
    current.sort(
        key=lambda f: (
            pack.rule(f.rule).deadline(f.period),
            f.org != code,
            f.org,
            order.get(f.rule, 0),
        )
    )
    missed = sorted(
        (f for f in this_year if f.status is Status.MISSED),
        key=lambda f: (
            -pack.rule(f.rule).deadline(f.period).toordinal(),
            f.org != code,
            f.org,
            order.get(f.rule, 0),
        ),
    )
    tallies: dict[tuple[str, str], Counter[Status]] = {}
    names: dict[tuple[str, str], tuple[str, str]] = {}
    for finding in mine:
        if finding.member is None or not finding.period.start <= today <= finding.period.end:
            continue
        rule = pack.rule(finding.rule)
        slot = (finding.rule, finding.period.label)
        tallies.setdefault(slot, Counter())[finding.status] += 1
        names[slot] = (rule.name, finding.period.label_zh)
    members = tuple(
        MemberTally(
            rule=names[slot][0],
            period=names[slot][1],
            counts=tuple((s, STATUS_ZH[s], tally[s]) for s in SHOWN if tally[s]),
        )
        for slot, tally in sorted(tallies.items(), key=lambda kv: order.get(kv[0][0], 0))
    )
    counts = Counter(f.status for f in this_year)
    meetings = {r.meeting.id: r.meeting for r in stored if r.meeting.id is not None}
    late = late_records(check.findings, meetings, pack)
    rows = tuple(
        RecordRow(
            id=m.id,
            date=ymd_zh(m.date),
            subject=short_name(orgs[m.org], branch) if m.org in orgs else m.org,
            kinds="、".join(pack.catalog.names.get(k, k) for k in sorted_kinds(m.kinds, pack)),
            attendance=attendance_text(m),
            topic=m.topic or "",
            late=m.id in late,
            attachments=attachments.get(m.id, 0),
        )
        for m in sorted(meetings.values(), key=lambda m: (m.date, m.id or 0), reverse=True)
        if m.id is not None
    )
    items = tuple(
        LedgerRow(
            id=item.id,
            issue=item.issue,
            deadline=day_zh(item.deadline, today),
            status=item.status,
            status_zh=STATUS_LABELS[item.status],
        )
        for item in sorted(ledger, key=lambda i: (i.deadline, i.id))
        if item.status in TO_RECTIFY
    )
    return BranchHome(
        org=branch,
        parent=parent,
        as_of=today,
        totals=tuple((s, STATUS_ZH[s], counts[s]) for s in SHOWN),
        current=tuple(obligation(f) for f in current),
        members=members,
        missed=tuple(obligation(f) for f in missed),
        records=rows if latest is None else rows[:latest],
        ledger=items,
        may_edit=may_edit,
        all_records=len(rows),
    )


def sorted_kinds(kinds: Iterable[str], pack: RulePack) -> list[str]:
    """Kinds in the catalog's order (主题党日 before 党课 as the pack lists them)."""
    order = {kind: n for n, kind in enumerate(pack.catalog.names)}
    return sorted(kinds, key=lambda k: (order.get(k, len(order)), k))


# --- the route ---------------------------------------------------------------------------


def branch_of(org: Org) -> str | None:
    """The branch whose page shows ``org``: itself, or a group's branch; None above branches."""
    if org.type is OrgType.BRANCH:
        return org.code
    if org.type is OrgType.GROUP:
        return org.parent
    return None


@router.get("/branch/{code}")
async def branch_page(code: str, request: Request, app: StateDep) -> Response:
    """The secretary's home: the branch's obligations, records and ledger items."""
    who = await signed_in(request, app)
    if who is None:
        return to_login(request)
    if code not in who.scope:
        return not_found(who)
    today = app.today()
    every = request.query_params.get("records") == "all"

    def build() -> BranchHome | str | None:
        try:
            org = app.store.org(code)
        except UnknownOrgError:
            return None
        if org.type is not OrgType.BRANCH:
            return branch_of(org) if org.type is OrgType.GROUP else f"/dashboard/{code}"
        since = dt.date(today.year - 1, 1, 1)
        check = run_check(app.store, app.pack, as_of=today, since=since, org=code)
        codes = sorted(check.registers.orgs)
        stored = records.list_records(app.store, orgs=codes, first=since, last=today)
        files = app.attachments().of(Owner.MEETING, [r.meeting.id or 0 for r in stored])
        parent = app.store.orgs([org.parent])[0] if org.parent else None
        return branch_home(
            check,
            app.pack,
            app.workdays,
            code,
            parent=parent if parent is not None and parent.code in who.scope else None,
            stored=stored,
            attachments={owner: len(found) for owner, found in files.items()},
            ledger=LedgerStore(app.store).items(codes),
            may_edit=who.may(Action.EDIT_MEETINGS),
            latest=None if every else LATEST,
        )

    view = await asyncio.to_thread(build)
    if view is None:
        return not_found(who)
    if isinstance(view, str):
        target = view if view.startswith("/") else f"/branch/{quote(view, safe='')}"
        return redirect(target)
    return show(who, "branch.html", view=view)
