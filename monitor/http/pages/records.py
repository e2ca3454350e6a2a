"""Meeting records on the web: 录入会议记录 (``/branch/{code}/records/new``), a record's page
(``/records/{id}``: its fields, attendees, attachments, the obligations it counts for and its
history), and editing or deleting it with a reason.

A record is created and changed through the API's own services (:func:`record_row`,
:func:`edit_meeting_record`, :func:`records.delete_record`), so the checks and the Chinese
messages are the import's. Attachments are checked by content before anything is stored: one
refused file refuses the whole form. A bad field comes back as the form again (422) with the
message beside it and every value kept.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.datastructures import FormData, UploadFile
from starlette.responses import Response

from monitor.accounts.model import Action
from monitor.attachments import Attachment, AttachmentError, Owner, check_upload
from monitor.check import run_check
from monitor.core.domain import Finding, Meeting, Member, MemberStatus, Org, OrgType, Status
from monitor.core.errors import OrglifeError, RegisterError, UnknownOrgError
from monitor.core.explain import STATUS_ZH
from monitor.core.periods import Period
from monitor.core.rules import RulePack
from monitor.core.schedule import SHANGHAI
from monitor.http.api.meetings import (
    HEADER,
    cell_message,
    edit_meeting_record,
    field_of,
    record_row,
)
from monitor.http.api.models import MAX_ID
from monitor.http.auth import Caller
from monitor.http.deps import AppState, StateDep
from monitor.http.html import redirect
from monitor.http.pages.branch import short_name, sorted_kinds
from monitor.http.pages.common import not_found, permitted, show, signed_in, to_login
from monitor.store import records
from monitor.store.audit import AuditEvent
from monitor.text.render import ymd_zh

router = APIRouter(include_in_schema=False)

ACCEPT = ".jpg,.jpeg,.png,.pdf,.docx"
FORM_FIELDS = (
    "org",
    "kinds",
    "date",
    "expected",
    "attended",
    "lecturer",
    "topic",
    "attendees",
    "for_period",
    "attachments",
    "reason",
)
FIELD_ZH = {
    "date": "日期",
    "kinds": "会议类型",
    "expected": "应到人数",
    "attended": "实到人数",
    "lecturer": "授课人",
    "topic": "主题",
    "attendees": "参会人员",
    "for_period": "所属期间",
    "attachment": "附件",
}
ACTION_ZH = {
    "created": "录入",
    "edited": "修改",
    "deleted": "删除",
    "restored": "恢复",
    "attached": "添加附件",
    "detached": "删除附件",
}
EMPTY = "（空）"
ACTOR_ZH = {"user": "用户", "cli": "命令行", "bot": "机器人", "import": "导入"}


# --- the form ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FormValues:
    """What the form holds, as typed (so a refused form comes back as it was)."""

    org: str = ""
    kinds: frozenset[str] = frozenset()
    date: str = ""
    expected: str = ""
    attended: str = ""
    lecturer: str = ""  # a roster member's id
    lecturer_other: str = ""  # or a name typed in
    topic: str = ""
    attendees: frozenset[str] = frozenset()
    for_period: str = ""
    reason: str = ""

    @classmethod
    def of_form(cls, form: FormData) -> FormValues:
        def text(name: str) -> str:
            value = form.get(name)
            return value.strip() if isinstance(value, str) else ""

        def many(name: str) -> frozenset[str]:
            return frozenset(v.strip() for v in form.getlist(name) if isinstance(v, str) and v)

        return cls(
            org=text("org"),
            kinds=many("kinds"),
            date=text("date"),
            expected=text("expected"),
            attended=text("attended"),
            lecturer=text("lecturer"),
            lecturer_other=text("lecturer_other"),
            topic=text("topic"),
            attendees=many("attendees"),
            for_period=text("for_period"),
            reason=text("reason"),
        )

    @classmethod
    def of_meeting(cls, meeting: Meeting, roster: Iterable[str]) -> FormValues:
        on_roster = meeting.lecturer is not None and meeting.lecturer in set(roster)
        return cls(
            org=meeting.org,
            kinds=frozenset(meeting.kinds),
            date=meeting.date.isoformat(),
            expected="" if meeting.expected is None else str(meeting.expected),
            attended="" if meeting.attended is None else str(meeting.attended),
            lecturer=(meeting.lecturer or "") if on_roster else "",
            lecturer_other="" if on_roster else (meeting.lecturer or ""),
            topic=meeting.topic or "",
            attendees=frozenset(meeting.attendees),
            for_period=meeting.for_period or "",
        )

    @property
    def lecturer_cell(self) -> str:
        """The 授课人 cell: the member picked, else the name typed in."""
        return self.lecturer or self.lecturer_other

    @property
    def attended_cell(self) -> str:
        """实到人数 as typed; left blank with attendees ticked, the number ticked."""
        if not self.attended and self.attendees:
            return str(len(self.attendees))
        return self.attended


def form_errors(values: FormValues, *, orgs: Iterable[str], editing: bool) -> dict[str, str]:
    """What the form lacks before the register's checks run (those give their own messages)."""
    errors: dict[str, str] = {}
    if not editing and values.org not in set(orgs):
        errors["org"] = "请选择开会的组织（本支部或其党小组）"
    if not values.kinds:
        errors["kinds"] = "请至少选择一种会议类型；合并召开的可选多项"
    if not values.date:
        errors["date"] = "请填写会议日期"
    if not values.expected:
        errors["expected"] = "请填写应到人数"
    if not values.attended_cell:
        errors["attended"] = "请填写实到人数，或在下方勾选参会人员"
    if editing and not values.reason:
        errors["reason"] = "请填写修改原因（记入修改记录）"
    return errors


def row_of(values: FormValues, kind_order: Sequence[str]) -> dict[str, str]:
    """The form as a row of the meetings register (its Chinese headers)."""
    order = {k: n for n, k in enumerate(kind_order)}
    return {
        HEADER["org"]: values.org,
        HEADER["kind"]: "+".join(sorted(values.kinds, key=lambda k: (order.get(k, 99), k))),
        HEADER["date"]: values.date,
        HEADER["expected"]: values.expected,
        HEADER["attended"]: values.attended_cell,
        HEADER["lecturer"]: values.lecturer_cell,
        HEADER["topic"]: values.topic,
        HEADER["attendees"]: ";".join(sorted(values.attendees)),
        HEADER["for_period"]: values.for_period,
    }


def edit_of(values: FormValues) -> records.Edit:
    """The form as an edit that sets every field (blank clears an optional one)."""
    return records.Edit(
        date=values.date,
        kinds=tuple(sorted(values.kinds)),
        expected=values.expected,
        attended=values.attended_cell,
        topic=values.topic,
        lecturer=values.lecturer_cell,
        attendees=";".join(sorted(values.attendees)),
        for_period=values.for_period,
    )


def error_field(error: RegisterError) -> str:
    """The form field a register error is about (``form`` when it names none)."""
    name = field_of(error)
    return name if name in FORM_FIELDS else "form"


@dataclass(frozen=True, slots=True)
class RosterGroup:
    """One 党小组's members in the attendees checklist (or those in no group)."""

    code: str
    name: str
    members: tuple[Member, ...]


@dataclass(frozen=True, slots=True)
class FormView:
    """What the form offers: where it posts, the orgs, kinds, roster and periods to pick."""

    branch: Org
    action: str
    cancel: str
    editing: bool
    orgs: tuple[tuple[str, str], ...]  # (code, name): the branch, then its groups
    kinds: tuple[tuple[str, str], ...]  # (id, 中文名)
    groups: tuple[RosterGroup, ...]
    roster: tuple[Member, ...]
    expected_hint: str
    periods: tuple[tuple[str, str], ...]  # (label, 中文) of earlier periods still to make up
    today: str
    record_org: str = ""  # the record's org's name, when editing


def roster_groups(
    branch: Org, groups: Sequence[Org], members: Sequence[Member]
) -> tuple[RosterGroup, ...]:
    """The branch's members by 党小组 (groups by code), those in none last."""
    by_group: dict[str, list[Member]] = {}
    for member in sorted(members, key=lambda m: m.id):
        by_group.setdefault(member.group or "", []).append(member)
    found = [
        RosterGroup(g.code, short_name(g, branch), tuple(by_group.get(g.code, ())))
        for g in sorted(groups, key=lambda g: g.code)
        if by_group.get(g.code)
    ]
    known = {g.code for g in groups}
    rest = [m for code, ms in by_group.items() if code not in known for m in ms]
    if rest:
        found.append(RosterGroup("", "未编入党小组" if found else "全体党员", tuple(rest)))
    return tuple(found)


def expected_hint(branch: Org, groups: Sequence[Org], members: Sequence[Member]) -> tuple[int, str]:
    """应到 prefilled (the branch's full members, as the checks count a blank 应到) and a hint
    with each group's count."""
    full = [m for m in members if m.status is MemberStatus.FULL]
    parts = [
        f"{short_name(g, branch)} {sum(1 for m in full if m.group == g.code)} 人"
        for g in sorted(groups, key=lambda g: g.code)
    ]
    hint = f"已按本支部正式党员人数（{len(full)} 人）预填，预备党员不计入应到"
    if parts:
        hint += "；党小组会按小组计：" + "、".join(parts)
    return len(full), hint


def make_up_periods(findings: Iterable[Finding], today: dt.date) -> tuple[tuple[str, str], ...]:
    """Earlier periods a meeting held today may still count for (所属期间): those whose
    obligations are open after the period ended (the make-up window)."""
    found = {
        f.period.label: (f.period.start, f.period.label_zh)
        for f in findings
        if f.status is Status.OPEN and f.member is None and f.period.end < today
    }
    return tuple((label, zh) for label, (_, zh) in sorted(found.items(), key=lambda kv: kv[1][0]))


# --- a record's page -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Counted:
    """An obligation a record counts for."""

    rule: str
    period: str
    status: Status
    status_zh: str
    subject: str  # whose (the group's, or a leading cadre's name); "" for the record's own org


@dataclass(frozen=True, slots=True)
class Change:
    field: str
    old: str
    new: str

    @property
    def text(self) -> str:
        """日期：2026年11月23日 → 2026年11月22日; a file added or taken off by its name."""
        if self.field == FIELD_ZH["attachment"]:
            return f"{self.field}：{self.new if self.old == EMPTY else self.old}"
        return f"{self.field}：{self.old} → {self.new}"


@dataclass(frozen=True, slots=True)
class HistoryRow:
    at: str
    by: str
    action: str
    reason: str
    changes: tuple[Change, ...]


@dataclass(frozen=True, slots=True)
class RecordPage:
    id: int
    branch: Org
    org_name: str
    kinds: str
    date: str
    expected: str
    attended: str
    lecturer: str
    topic: str
    attendees: tuple[str, ...]
    for_period: str
    recorded: str
    deleted: bool
    attachments: tuple[Attachment, ...]
    counted: tuple[Counted, ...]
    history: tuple[HistoryRow, ...]
    may_edit: bool
    notice: str = ""
    errors: dict[str, str] = field(default_factory=dict)


def counted_for(
    findings: Iterable[Finding], record_id: int, pack: RulePack, names: Mapping[str, str]
) -> tuple[Counted, ...]:
    """The obligations whose evidence cites the record (已落实：主题党日 2026年11月)."""
    return tuple(
        Counted(
            rule=pack.rule(f.rule).name,
            period=f.period.label_zh,
            status=f.status,
            status_zh=STATUS_ZH[f.status],
            subject=names.get(f.member, f.member) if f.member is not None else "",
        )
        for f in findings
        if record_id in f.evidence.records
    )


def actor_zh(actor: str) -> str:
    """user:sec → 用户 sec; import → 导入."""
    kind, _, name = actor.partition(":")
    label = ACTOR_ZH.get(kind)
    if label is None:
        return actor
    return f"{label} {name}".strip()


def value_zh(name: str, value: Any, pack: RulePack, people: Mapping[str, str]) -> str:
    """A field's value in the trail as a secretary reads it."""
    if value is None or value == "" or value == []:
        return EMPTY
    if name == "kinds" and isinstance(value, list):
        return "、".join(pack.catalog.names.get(str(k), str(k)) for k in value)
    if name == "attendees" and isinstance(value, list):
        return "、".join(people.get(str(m), str(m)) for m in value)
    if name == "lecturer":
        return people.get(str(value), str(value))
    if name == "date" and isinstance(value, str):
        try:
            return ymd_zh(dt.date.fromisoformat(value))
        except ValueError:
            return value
    if name == "for_period" and isinstance(value, str):
        try:
            return Period.parse(value).label_zh
        except OrglifeError:  # an odd label is shown as it is
            return value
    return str(value)


def history_rows(
    trail: Iterable[AuditEvent], pack: RulePack, people: Mapping[str, str]
) -> tuple[HistoryRow, ...]:
    """The record's trail, newest first, in Chinese."""
    return tuple(
        HistoryRow(
            at=e.at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"),
            by=actor_zh(e.actor),
            action=ACTION_ZH.get(e.action, e.action),
            reason=e.reason or "",
            changes=tuple(
                Change(
                    FIELD_ZH.get(name, name),
                    value_zh(name, old_new[0], pack, people),
                    value_zh(name, old_new[1], pack, people),
                )
                for name, old_new in e.changes.items()
                if len(old_new) == 2  # [old, new]
            ),
        )
        for e in sorted(trail, key=lambda e: (e.at, e.id), reverse=True)
    )


def record_page(
    stored: records.StoredRecord,
    *,
    branch: Org,
    orgs: Mapping[str, Org],
    people: Mapping[str, str],
    findings: Iterable[Finding],
    attachments: Sequence[Attachment],
    trail: Iterable[AuditEvent],
    pack: RulePack,
    may_edit: bool,
) -> RecordPage:
    """A record's page from the record, its branch's evaluation and its trail."""
    m = stored.meeting
    assert m.id is not None
    org = orgs.get(m.org)
    return RecordPage(
        id=m.id,
        branch=branch,
        org_name=org.name if org is not None else m.org,
        kinds="、".join(pack.catalog.names.get(k, k) for k in sorted_kinds(m.kinds, pack)),
        date=ymd_zh(m.date),
        expected="" if m.expected is None else str(m.expected),
        attended="" if m.attended is None else str(m.attended),
        lecturer=people.get(m.lecturer, m.lecturer) if m.lecturer else "",
        topic=m.topic or "",
        attendees=tuple(people.get(a, a) for a in m.attendees),
        for_period=value_zh("for_period", m.for_period, pack, people) if m.for_period else "",
        recorded=ymd_zh(m.recorded) if m.recorded else "",
        deleted=stored.deleted,
        attachments=tuple(attachments),
        counted=counted_for(findings, m.id, pack, people) if not stored.deleted else (),
        history=history_rows(trail, pack, people),
        may_edit=may_edit and not stored.deleted,
    )


# --- loading -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BranchData:
    """A branch, its groups and its roster."""

    branch: Org
    groups: tuple[Org, ...]
    members: tuple[Member, ...]

    @property
    def orgs(self) -> dict[str, Org]:
        return {o.code: o for o in (self.branch, *self.groups)}

    @property
    def people(self) -> dict[str, str]:
        return {m.id: m.name for m in self.members}


def load_branch(app: AppState, code: str) -> BranchData | None:
    """The branch ``code`` (a 党支部), or None when there is none by that code."""
    try:
        branch = app.store.org(code)
    except UnknownOrgError:
        return None
    if branch.type is not OrgType.BRANCH:
        return None
    codes = app.store.subtree(code)
    groups = tuple(o for o in app.store.orgs(codes) if o.type is OrgType.GROUP)
    return BranchData(branch, groups, tuple(app.store.members([code])))


def branch_code(app: AppState, org: str) -> str | None:
    """The branch a record's org belongs to (itself, or a group's branch)."""
    try:
        found = app.store.org(org)
    except UnknownOrgError:
        return None
    if found.type is OrgType.GROUP:
        return found.parent
    return found.code if found.type is OrgType.BRANCH else None


def form_view(
    app: AppState, data: BranchData, *, action: str, cancel: str, editing: bool, org: str = ""
) -> tuple[FormView, int]:
    today = app.today()
    check = run_check(
        app.store,
        app.pack,
        as_of=today,
        since=dt.date(today.year - 1, 1, 1),
        org=data.branch.code,
        with_records=False,
    )
    expected, hint = expected_hint(data.branch, data.groups, data.members)
    view = FormView(
        branch=data.branch,
        action=action,
        cancel=cancel,
        editing=editing,
        orgs=tuple((o.code, short_name(o, data.branch)) for o in (data.branch, *data.groups)),
        kinds=tuple(
            (k, app.pack.catalog.names[k]) for k in sorted_kinds(app.pack.catalog.names, app.pack)
        ),
        groups=roster_groups(data.branch, data.groups, data.members),
        roster=tuple(sorted(data.members, key=lambda m: m.id)),
        expected_hint=hint,
        periods=make_up_periods(check.findings, today),
        today=today.isoformat(),
        record_org=data.orgs[org].name if org in data.orgs else "",
    )
    return view, expected


async def uploads(form: FormData) -> list[tuple[str, bytes]]:
    """The files chosen (a form without any sends one empty part, which is not a file)."""
    found: list[tuple[str, bytes]] = []
    for part in form.getlist("attachments"):
        if isinstance(part, UploadFile):
            data = await part.read()
            if part.filename or data:
                found.append((part.filename or "附件", data))
    return found


def refused_file(files: Sequence[tuple[str, bytes]]) -> str | None:
    """Why the first unacceptable file is refused, or None when all may be stored."""
    for name, data in files:
        try:
            check_upload(name, data)
        except AttachmentError as exc:
            return str(exc)
    return None


def check_all(values: FormValues, form: FormData, groups: Sequence[RosterGroup]) -> FormValues:
    """The form with a group's members ticked (the no-script “全选” buttons)."""
    wanted = form.get("check_all")
    for group in groups:
        if group.code == wanted or (wanted == "*" and group.members):
            values = replace(values, attendees=values.attendees | {m.id for m in group.members})
    return values


def render_form(
    who: Caller,
    view: FormView,
    values: FormValues,
    errors: Mapping[str, str],
    *,
    status: int = 200,
) -> Response:
    title = "修改会议记录" if view.editing else "录入会议记录"
    return show(
        who,
        "record_form.html",
        status=status,
        view=view,
        values=values,
        errors=dict(errors),
        title=title,
        accept=ACCEPT,
    )


# --- routes: a new record ----------------------------------------------------------------------


@router.api_route("/branch/{code}/records/new", methods=["GET", "POST"])
async def new_record(code: str, request: Request, app: StateDep) -> Response:
    """录入会议记录: the form (GET), or the record saved and its page next (POST)."""
    who = await permitted(request, app, Action.EDIT_MEETINGS)
    if isinstance(who, Response):
        return who
    if code not in who.scope:
        return not_found(who)
    data = await asyncio.to_thread(load_branch, app, code)
    if data is None:
        return not_found(who)
    action = f"/branch/{quote(code, safe='')}/records/new"
    cancel = f"/branch/{quote(code, safe='')}"
    view, expected = await asyncio.to_thread(
        form_view, app, data, action=action, cancel=cancel, editing=False
    )
    if request.method == "GET":
        values = FormValues(org=code, date=view.today, expected=str(expected))
        return render_form(who, view, values, {})

    form = await request.form()
    values = FormValues.of_form(form)
    if form.get("check_all"):
        return render_form(who, view, check_all(values, form, view.groups), {})
    orgs = [c for c in data.orgs if c in who.scope]
    errors = form_errors(values, orgs=orgs, editing=False)
    files = await uploads(form)
    refused = refused_file(files)
    if refused:
        errors["attachments"] = refused + "；请重新选择全部附件"
    if errors:
        return render_form(who, view, values, errors, status=422)
    row = row_of(values, [k for k, _ in view.kinds])
    try:
        record, _new = await asyncio.to_thread(record_row, app, who.scope, row, who.actor)
    except RegisterError as exc:
        return render_form(who, view, values, {error_field(exc): cell_message(exc)}, status=422)
    meeting_id = record.meeting.id
    assert meeting_id is not None
    if record.deleted:
        message = f"相同的记录（#{meeting_id}）已被删除；如需恢复，请联系管理员"
        return render_form(who, view, values, {"form": message}, status=422)
    await asyncio.to_thread(store_files, app, who, record.meeting, files)
    return redirect(f"/records/{meeting_id}?saved=1")


def store_files(
    app: AppState, who: Caller, meeting: Meeting, files: Sequence[tuple[str, bytes]]
) -> None:
    assert meeting.id is not None
    store = app.attachments()
    for name, data in files:
        store.add(Owner.MEETING, meeting.id, meeting.org, name, data, by=who.actor, now=app.clock())


# --- routes: a record ----------------------------------------------------------------------


async def record_in_scope(
    who: Caller, app: AppState, record_id: int
) -> tuple[records.StoredRecord, BranchData] | None:
    """The record and its branch when it exists and lies in the caller's scope; else None."""
    if not 0 < record_id <= MAX_ID:
        return None

    def load() -> tuple[records.StoredRecord, BranchData] | None:
        try:
            stored = records.get_record(app.store, record_id)
        except records.RecordError:
            return None
        if stored.meeting.org not in who.scope:
            return None
        code = branch_code(app, stored.meeting.org)
        data = load_branch(app, code) if code is not None else None
        return None if data is None else (stored, data)

    return await asyncio.to_thread(load)


def build_record_page(
    app: AppState, who: Caller, stored: records.StoredRecord, data: BranchData
) -> RecordPage:
    m = stored.meeting
    assert m.id is not None
    today = app.today()
    start = m.date if m.for_period is None else min(m.date, Period.parse(m.for_period).start)
    since = dt.date(start.year, 1, 1)
    findings: list[Finding] = []
    if not stored.deleted and (today - since).days <= 3650 and m.date <= today:
        findings = run_check(
            app.store, app.pack, as_of=today, since=since, org=data.branch.code
        ).findings
    files = app.attachments().of(Owner.MEETING, [m.id]).get(m.id, [])
    return record_page(
        stored,
        branch=data.branch,
        orgs=data.orgs,
        people=data.people,
        findings=findings,
        attachments=files,
        trail=app.store.events("meeting", m.id),
        pack=app.pack,
        may_edit=who.may(Action.EDIT_MEETINGS),
    )


@router.get("/records/{record_id}")
async def record_view(record_id: int, request: Request, app: StateDep) -> Response:
    """A record: its fields, attendees, attachments, what it counts for and its history."""
    who = await signed_in(request, app)
    if who is None:
        return to_login(request)
    found = await record_in_scope(who, app, record_id)
    if found is None:
        return not_found(who)
    view = await asyncio.to_thread(build_record_page, app, who, *found)
    notice = {"1": "已保存。", "deleted": "已删除。"}.get(request.query_params.get("saved", ""), "")
    return show(who, "record.html", view=replace(view, notice=notice))


async def _editable(
    request: Request, app: AppState, record_id: int
) -> tuple[Caller, records.StoredRecord, BranchData] | Response:
    """An editor and a record in their scope that is not deleted; else the page to answer
    instead (login, 403, the 404 page, or the deleted record's own page)."""
    who = await permitted(request, app, Action.EDIT_MEETINGS)
    if isinstance(who, Response):
        return who
    found = await record_in_scope(who, app, record_id)
    if found is None:
        return not_found(who)
    stored, data = found
    if stored.deleted:
        return redirect(f"/records/{record_id}")
    return who, stored, data


@router.api_route("/records/{record_id}/edit", methods=["GET", "POST"])
async def edit_record(record_id: int, request: Request, app: StateDep) -> Response:
    """修改会议记录: the form prefilled (GET), or the change saved with its reason (POST)."""
    editable = await _editable(request, app, record_id)
    if isinstance(editable, Response):
        return editable
    who, stored, data = editable
    page_url = f"/records/{record_id}"
    view, _ = await asyncio.to_thread(
        form_view,
        app,
        data,
        action=f"{page_url}/edit",
        cancel=page_url,
        editing=True,
        org=stored.meeting.org,
    )
    if request.method == "GET":
        return render_form(who, view, FormValues.of_meeting(stored.meeting, data.people), {})

    form = await request.form()
    values = replace(FormValues.of_form(form), org=stored.meeting.org)
    if form.get("check_all"):
        return render_form(who, view, check_all(values, form, view.groups), {})
    errors = form_errors(values, orgs=(), editing=True)
    files = await uploads(form)
    refused = refused_file(files)
    if refused:
        errors["attachments"] = refused + "；请重新选择全部附件"
    if errors:
        return render_form(who, view, values, errors, status=422)

    def edit() -> records.StoredRecord:
        return edit_meeting_record(app, who, record_id, edit_of(values), values.reason)

    try:
        changed = await asyncio.to_thread(edit)
    except RegisterError as exc:
        return render_form(who, view, values, {error_field(exc): cell_message(exc)}, status=422)
    except records.RecordError as exc:
        return render_form(who, view, values, {"form": str(exc)}, status=422)
    await asyncio.to_thread(store_files, app, who, changed.meeting, files)
    return redirect(f"{page_url}?saved=1")


@router.api_route("/records/{record_id}/delete", methods=["GET", "POST"])
async def delete_record(record_id: int, request: Request, app: StateDep) -> Response:
    """删除会议记录: the confirmation asking for a reason (GET), or the deletion (POST)."""
    editable = await _editable(request, app, record_id)
    if isinstance(editable, Response):
        return editable
    who, stored, data = editable
    page_url = f"/records/{record_id}"
    view = await asyncio.to_thread(build_record_page, app, who, stored, data)
    if request.method == "GET":
        return show(who, "record_delete.html", view=view, reason="", errors={})
    form = await request.form()
    reason = form.get("reason")
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason:
        errors = {"reason": "请填写删除原因（记入修改记录）"}
        return show(who, "record_delete.html", status=422, view=view, reason="", errors=errors)
    try:
        await asyncio.to_thread(
            records.delete_record,
            app.store,
            record_id,
            now=app.clock(),
            actor=who.actor,
            reason=reason,
        )
    except records.RecordError as exc:
        errors = {"form": str(exc)}
        return show(who, "record_delete.html", status=422, view=view, reason=reason, errors=errors)
    return redirect(f"{page_url}?saved=deleted")
