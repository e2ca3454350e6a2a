"""The problem ledger's pages (问题台账): the board of the caller's items, an item with its trail
and attachments, and what people do to an item: 整改 (rectify; a secretary of the item's branch,
an inspector, an admin), 销号 (clear), 退回 (send back), 明察暗访 (add an item found on site) and
回头看 (the look-back) — the last four for inspectors and admins.

The scope is the API's (:mod:`monitor.http.api.ledger`): an item outside it is the same 404 as
one that does not exist. Every change is a POST form with the session's CSRF token, answered by
a 303 back to the item with a notice; bad input shows the form again with the message next to
the field (422), and nothing is stored.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile
from starlette.responses import Response

from monitor.accounts.model import Action
from monitor.alerts.store import drop_settled
from monitor.attachments import MAX_BYTES, Attachment, AttachmentError, Owner, check_upload
from monitor.check import look_back
from monitor.core.domain import Member, Org
from monitor.core.periods import Period
from monitor.core.rules import RulePack
from monitor.http.api.ledger import add_on_site
from monitor.http.api.models import LedgerItemIn
from monitor.http.auth import Caller
from monitor.http.deps import AppState, StateDep
from monitor.http.html import redirect
from monitor.http.pages.common import (
    ORG_TYPE_ZH,
    not_found,
    org_url,
    permitted,
    show,
)
from monitor.http.problems import ApiError
from monitor.ledger.export import SHANGHAI, subject_label
from monitor.ledger.model import (
    ACTION_LABELS,
    CLEARABLE,
    RECTIFIABLE,
    RETURNABLE,
    SOURCE_LABELS,
    STATUS_LABELS,
    LedgerError,
    LedgerEvent,
    LedgerItem,
    LedgerSource,
    LedgerStatus,
    deadline_for,
)
from monitor.ledger.store import LedgerStore
from monitor.ledger.view import coloured, item_names
from monitor.ledger.warning import ItemWarning

router = APIRouter(include_in_schema=False)

# The board shows the most pressing first: overdue, open, rectifying, then cleared.
ORDER = (LedgerStatus.OVERDUE, LedgerStatus.OPEN, LedgerStatus.RECTIFYING, LedgerStatus.CLEARED)
BOARD_LIMIT = 500  # rows on one board; the filters narrow a province's ledger down
MAX_NOTE = 2000  # as the API's Note
MAX_ID = 2_147_483_647
NOTICES = {
    "rectified": "已登记整改情况，等待督查人员核实销号。",
    "cleared": "已销号。",
    "returned": "已退回，须重新整改。",
    "added": "已登记明察暗访发现的问题。",
}
DATE_HINT = "如 2026-12-24"


# --- pure helpers ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Filters:
    """The board's GET form: every field optional; a value that is not one of the choices is
    ignored (as if left empty)."""

    status: LedgerStatus | None = None
    org: str | None = None
    source: LedgerSource | None = None
    text: str = ""

    def href(self, **change: Any) -> str:
        """The board's URL with these filters, ``change`` applied."""
        now = replace(self, **change)
        query = {
            "status": now.status.value if now.status else "",
            "org": now.org or "",
            "source": now.source.value if now.source else "",
            "q": now.text,
        }
        kept = {k: v for k, v in query.items() if v}
        return "/ledger" + (f"?{urlencode(kept)}" if kept else "")


def parse_filters(params: Mapping[str, str]) -> Filters:
    """The board's filters from its query string."""
    status = params.get("status", "")
    source = params.get("source", "")
    return Filters(
        status=LedgerStatus(status) if status in set(LedgerStatus) else None,
        org=params.get("org", "").strip() or None,
        source=LedgerSource(source) if source in set(LedgerSource) else None,
        text=params.get("q", "").strip()[:100],
    )


def subtree_of(orgs: Iterable[Org], code: str) -> set[str]:
    """``code`` and every org below it among ``orgs``."""
    children: dict[str, list[str]] = {}
    for org in orgs:
        if org.parent is not None:
            children.setdefault(org.parent, []).append(org.code)
    found, todo = {code}, [code]
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def overdue_days(item: LedgerItem, today: dt.date) -> int:
    """Days past the deadline of an item not yet rectified; 0 otherwise."""
    if item.status in (LedgerStatus.OPEN, LedgerStatus.OVERDUE) and today > item.deadline:
        return (today - item.deadline).days
    return 0


def actor_label(actor: str) -> str:
    """How the trail names who did it: a user by name, the evaluation as 系统."""
    if actor == "system":
        return "系统"
    return actor.removeprefix("user:")


def size_label(size: int) -> str:
    return f"{size / 1048576:.1f} MB" if size >= 1048576 else f"{max(1, round(size / 1024))} KB"


@dataclass(frozen=True, slots=True)
class ItemRow:
    """One item on the board."""

    id: int
    org_name: str
    subject: str
    issue: str
    period: str
    source: str
    opened: dt.date
    deadline: dt.date
    status: LedgerStatus
    status_zh: str
    overdue_days: int
    warning: str | None  # "red" / "yellow"
    warning_zh: str | None
    reopened: int


@dataclass(frozen=True, slots=True)
class StatusCount:
    status: LedgerStatus | None  # None: every status
    label: str
    count: int
    href: str
    current: bool


@dataclass(frozen=True, slots=True)
class Group:
    status: LedgerStatus
    label: str
    rows: list[ItemRow]


@dataclass(frozen=True, slots=True)
class Board:
    """What the board shows, computed here so the template only lays it out."""

    filters: Filters
    counts: list[StatusCount]
    groups: list[Group]
    matched: int  # items matching every filter
    shown: int  # of which on the page (at most BOARD_LIMIT)
    orgs: list[tuple[str, str]]  # the org select: (code, label)
    statuses: list[tuple[str, str]]
    sources: list[tuple[str, str]]


def item_row(
    item: LedgerItem,
    orgs: Mapping[str, Org],
    members: Mapping[str, Member],
    warning: ItemWarning | None,
    today: dt.date,
) -> ItemRow:
    org = orgs.get(item.org)
    return ItemRow(
        id=item.id,
        org_name=org.name if org is not None else item.org,
        subject=subject_label(item, members),
        issue=item.issue,
        period=Period.parse(item.period).label_zh if item.period else "—",
        source=SOURCE_LABELS[item.source],
        opened=item.opened,
        deadline=item.deadline,
        status=item.status,
        status_zh=STATUS_LABELS[item.status],
        overdue_days=overdue_days(item, today),
        warning=warning.colour.value if warning is not None else None,
        warning_zh=warning.label if warning is not None else None,
        reopened=item.reopened,
    )


def board(
    items: Sequence[LedgerItem],
    colours: Mapping[int, ItemWarning],
    orgs: Sequence[Org],
    members: Mapping[str, Member],
    filters: Filters,
    today: dt.date,
    limit: int = BOARD_LIMIT,
) -> Board:
    """The board of ``items`` (the caller's) under ``filters``; the counts per status are of
    the items matching the other filters, so each count is what its link shows."""
    by_code = {o.code: o for o in orgs}
    within = subtree_of(orgs, filters.org) if filters.org is not None else None
    text = filters.text.casefold()
    base = [
        i
        for i in items
        if (within is None or i.org in within)
        and (filters.source is None or i.source is filters.source)
        and (not text or text in i.issue.casefold())
    ]
    per = {s: [i for i in base if i.status is s] for s in ORDER}
    counts = [
        StatusCount(None, "全部", len(base), filters.href(status=None), filters.status is None)
    ] + [
        StatusCount(s, STATUS_LABELS[s], len(per[s]), filters.href(status=s), filters.status is s)
        for s in ORDER
    ]
    chosen = [s for s in ORDER if filters.status is None or filters.status is s]
    matched = sum(len(per[s]) for s in chosen)
    groups: list[Group] = []
    room = limit
    for status in chosen:
        ranked = sorted(per[status], key=lambda i: (i.deadline, i.id))[: max(room, 0)]
        room -= len(ranked)
        if ranked:
            rows = [item_row(i, by_code, members, colours.get(i.id), today) for i in ranked]
            groups.append(Group(status, STATUS_LABELS[status], rows))
    return Board(
        filters=filters,
        counts=counts,
        groups=groups,
        matched=matched,
        shown=sum(len(g.rows) for g in groups),
        orgs=org_choices(orgs),
        statuses=[(s.value, STATUS_LABELS[s]) for s in ORDER],
        sources=[(s.value, SOURCE_LABELS[s]) for s in LedgerSource],
    )


def org_choices(orgs: Iterable[Org]) -> list[tuple[str, str]]:
    """An org select's options: (code, "name（type）"), by code."""
    return [
        (o.code, f"{o.name}（{ORG_TYPE_ZH[o.type]}）") for o in sorted(orgs, key=lambda o: o.code)
    ]


@dataclass(frozen=True, slots=True)
class TrailRow:
    at: str  # Beijing time
    actor: str
    action: str
    change: str  # 待整改 → 整改中
    note: str


@dataclass(frozen=True, slots=True)
class FileRow:
    id: int
    name: str
    kind: str
    size: str
    uploaded: str
    by: str


@dataclass(frozen=True, slots=True)
class ItemView:
    """An item's page."""

    item: LedgerItem
    org_name: str
    org_href: str
    subject: str
    rule: str
    period: str
    source: str
    status_zh: str
    overdue_days: int
    warning: str | None
    warning_zh: str | None
    trail: list[TrailRow]
    files: list[FileRow]
    may_rectify: bool
    may_clear: bool
    may_return: bool


def _moment(at: dt.datetime) -> str:
    return f"{at.astimezone(SHANGHAI):%Y-%m-%d %H:%M}"


def trail_rows(events: Iterable[LedgerEvent]) -> list[TrailRow]:
    rows = []
    for e in events:
        before = f"{STATUS_LABELS[e.from_status]} → " if e.from_status is not None else ""
        rows.append(
            TrailRow(
                at=_moment(e.at),
                actor=actor_label(e.actor),
                action=ACTION_LABELS.get(e.action, e.action),
                change=f"{before}{STATUS_LABELS[e.to_status]}",
                note=e.note or "",
            )
        )
    return rows


def file_rows(files: Iterable[Attachment]) -> list[FileRow]:
    return [
        FileRow(
            id=a.id,
            name=a.name,
            kind=a.kind.label,
            size=size_label(a.size),
            uploaded=_moment(a.uploaded),
            by=actor_label(a.uploaded_by),
        )
        for a in files
    ]


def item_view(
    item: LedgerItem,
    org: Org | None,
    members: Mapping[str, Member],
    pack: RulePack,
    events: Sequence[LedgerEvent],
    files: Sequence[Attachment],
    warning: ItemWarning | None,
    who: Caller,
    today: dt.date,
) -> ItemView:
    rules = {r.id: r.name for r in pack.rules}
    return ItemView(
        item=item,
        org_name=org.name if org is not None else item.org,
        org_href=org_url(org) if org is not None else "/",
        subject=subject_label(item, members),
        rule=rules.get(item.rule, item.rule) if item.rule is not None else "—",
        period=Period.parse(item.period).label_zh if item.period else "—",
        source=SOURCE_LABELS[item.source],
        status_zh=STATUS_LABELS[item.status],
        overdue_days=overdue_days(item, today),
        warning=warning.colour.value if warning is not None else None,
        warning_zh=warning.label if warning is not None else None,
        trail=trail_rows(events),
        files=file_rows(files),
        # An inspector verifies a rectifying item (销号 / 退回) rather than rectifying it again.
        may_rectify=who.may(Action.RECTIFY)
        and item.status in RECTIFIABLE
        and not (item.status is LedgerStatus.RECTIFYING and who.may(Action.MANAGE_LEDGER)),
        may_clear=who.may(Action.MANAGE_LEDGER) and item.status in CLEARABLE,
        may_return=who.may(Action.MANAGE_LEDGER) and item.status in RETURNABLE,
    )


def parse_id(text: str) -> int | None:
    """An item id from the URL, or None (then the page is the 404)."""
    if not text.isdecimal() or len(text) > 10:
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


def parse_day(text: str) -> dt.date | None:
    """A date typed as YYYY-MM-DD (what ``<input type="date">`` sends), else None."""
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        return None


def text_of(form: FormData, name: str) -> str:
    """A text field of a form ('' when missing, or when a file came instead)."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def note_error(note: str, *, required: str | None) -> str | None:
    """What is wrong with a free-text field, or None."""
    if not note and required is not None:
        return required
    if len(note) > MAX_NOTE:
        return f"内容过长：{len(note)} 字，最多 {MAX_NOTE} 字"
    if "\x00" in note:
        return "内容含有不能保存的字符，请重新输入"
    return None


# --- the caller and the item -------------------------------------------------------------


async def _item(app: AppState, who: Caller, text: str) -> LedgerItem | None:
    """The item when it exists and lies in the caller's scope; else None (the 404)."""
    item_id = parse_id(text)
    if item_id is None:
        return None
    try:
        item = await asyncio.to_thread(LedgerStore(app.store).item, item_id)
    except LedgerError:
        return None
    return item if item.org in who.scope else None


async def _item_page(
    app: AppState,
    who: Caller,
    item: LedgerItem,
    *,
    status: int = 200,
    notice: str | None = None,
    errors: Mapping[str, str] | None = None,
    values: Mapping[str, str] | None = None,
) -> Response:
    today = app.today()

    def build() -> ItemView:
        _, colours = coloured(
            app.store, [item.org], None, today=today, escalation=app.pack.escalation
        )
        orgs, members = item_names(app.store, [item])
        events = LedgerStore(app.store).events(item.id)
        files = app.attachments().of(Owner.LEDGER, [item.id]).get(item.id, [])
        return item_view(
            item,
            orgs.get(item.org),
            members,
            app.pack,
            events,
            files,
            colours.get(item.id),
            who,
            today,
        )

    view = await asyncio.to_thread(build)
    return show(
        who,
        "ledger_item.html",
        status=status,
        view=view,
        notice=notice,
        errors=dict(errors or {}),
        values=dict(values or {}),
    )


def _orgs_in_scope(app: AppState, who: Caller) -> list[Org]:
    return app.store.orgs(None if who.scope.everything else who.scope.orgs)


# --- the board ---------------------------------------------------------------------------


@router.get("/ledger")
async def ledger_board(request: Request, app: StateDep) -> Response:
    """The caller's items by status, with the filters (status, org, source, text)."""
    who = await permitted(request, app, Action.READ)
    if isinstance(who, Response):
        return who
    filters = parse_filters(request.query_params)
    today = app.today()

    def build() -> Board | None:
        orgs = _orgs_in_scope(app, who)
        if filters.org is not None and filters.org not in {o.code for o in orgs}:
            return None
        codes = None if who.scope.everything else sorted(who.scope.orgs)
        items, colours = coloured(
            app.store, codes, None, today=today, escalation=app.pack.escalation
        )
        _, members = item_names(app.store, items)
        return board(items, colours, orgs, members, filters, today)

    view = await asyncio.to_thread(build)
    if view is None:
        return not_found(who)
    return show(
        who,
        "ledger_board.html",
        board=view,
        manage=who.may(Action.MANAGE_LEDGER),
    )


# --- 明察暗访: an item found on site ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewForm:
    """The form of an item found on site, as typed (refilled after a refusal)."""

    org: str = ""
    issue: str = ""
    rule: str = ""
    period: str = ""
    member: str = ""
    deadline: str = ""
    errors: dict[str, str] = field(default_factory=dict)


async def _new_page(app: AppState, who: Caller, form: NewForm, status: int = 200) -> Response:
    orgs = await asyncio.to_thread(_orgs_in_scope, app, who)
    return show(
        who,
        "ledger_new.html",
        status=status,
        form=form,
        orgs=org_choices(orgs),
        rules=[(r.id, r.name) for r in app.pack.rules],
    )


@router.get("/ledger/new")
async def new_item_form(request: Request, app: StateDep) -> Response:
    """The form of a problem found on site (明察暗访)."""
    who = await permitted(request, app, Action.MANAGE_LEDGER)
    if isinstance(who, Response):
        return who
    org = request.query_params.get("org", "")
    default = NewForm(
        org=org if org in who.scope else "", deadline=deadline_for(app.today()).isoformat()
    )
    return await _new_page(app, who, default)


@router.post("/ledger/new")
async def new_item(request: Request, app: StateDep) -> Response:
    """Add the problem found on site; the form again with the message on a refusal."""
    who = await permitted(request, app, Action.MANAGE_LEDGER)
    if isinstance(who, Response):
        return who
    data = await request.form()
    form = NewForm(
        org=text_of(data, "org"),
        issue=text_of(data, "issue"),
        rule=text_of(data, "rule"),
        period=text_of(data, "period"),
        member=text_of(data, "member"),
        deadline=text_of(data, "deadline"),
    )
    errors: dict[str, str] = {}
    if not form.org:
        errors["org"] = "请选择问题所在的组织"
    issue_wrong = note_error(form.issue, required="请写明存在什么问题，如“会议记录不规范”")
    if issue_wrong:
        errors["issue"] = issue_wrong
    deadline = parse_day(form.deadline) if form.deadline else None
    if form.deadline and deadline is None:
        errors["deadline"] = f"整改期限应为日期，{DATE_HINT}"
    elif deadline is not None and deadline < app.today():
        errors["deadline"] = f"整改期限{deadline}早于今天（{app.today()}），请选今天或以后的日期"
    if errors:
        return await _new_page(app, who, replace(form, errors=errors), 422)
    try:
        body = LedgerItemIn(
            org=form.org,
            issue=form.issue,
            rule=form.rule or None,
            period=form.period or None,
            member=form.member or None,
            deadline=deadline,
        )
    except ValidationError as exc:
        wrong = {str(e["loc"][0]): "内容过长或含有不能保存的字符" for e in exc.errors()}
        return await _new_page(app, who, replace(form, errors=wrong), 422)
    try:
        item = await add_on_site(body, who, app)
    except ApiError as exc:
        if exc.status == 404:
            return not_found(who)
        wrong = {e.field: e.message for e in exc.errors or []} or {"issue": exc.detail}
        return await _new_page(app, who, replace(form, errors=wrong), 422)
    return redirect(f"/ledger/{item.id}?done=added")


# --- 回头看: the look-back ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reopened:
    id: int
    org_name: str
    subject: str
    issue: str
    why: str
    deadline: dt.date


@router.post("/ledger/review")
async def review(request: Request, app: StateDep) -> Response:
    """Run the look-back (回头看) over the caller's scope (or the subtree of the form's
    ``org``) as `orglife ledger review` does, and show what it reopened."""
    who = await permitted(request, app, Action.MANAGE_LEDGER)
    if isinstance(who, Response):
        return who
    data = await request.form()
    org = text_of(data, "org") or None
    today, now = app.today(), app.clock()

    def run() -> tuple[Any, list[Reopened]] | None:
        if org is not None:
            if org not in who.scope or org not in {o.code for o in app.store.orgs([org])}:
                return None
            codes: list[str] | None = [c for c in app.store.subtree(org) if c in who.scope]
            top: str | None = org
        elif who.scope.everything:
            codes, top = None, None
        else:
            codes, top = sorted(who.scope.orgs), who.user.org
        done = look_back(
            app.store, app.pack, as_of=today, now=now, by=who.actor, org=top, codes=codes
        )
        orgs, members = item_names(app.store, done.reopened)
        events = LedgerStore(app.store).events(items=[i.id for i in done.reopened])
        why = {e.item: e.note or "" for e in events if e.action == "reopened"}
        rows = [
            Reopened(
                id=i.id,
                org_name=orgs[i.org].name if i.org in orgs else i.org,
                subject=subject_label(i, members),
                issue=i.issue,
                why=why.get(i.id, ""),
                deadline=i.deadline,
            )
            for i in done.reopened
        ]
        return done, rows

    result = await asyncio.to_thread(run)
    if result is None:
        return not_found(who)
    done, rows = result
    return show(who, "ledger_review.html", done=done, rows=rows)


# --- an item -----------------------------------------------------------------------------


@router.get("/ledger/{id}")
async def ledger_item(id: str, request: Request, app: StateDep) -> Response:
    """An item: its facts, trail and attachments, and the forms the caller may use."""
    who = await permitted(request, app, Action.READ)
    if isinstance(who, Response):
        return who
    item = await _item(app, who, id)
    if item is None:
        return not_found(who)
    notice = NOTICES.get(request.query_params.get("done", ""))
    return await _item_page(app, who, item, notice=notice)


async def _upload(upload: UploadFile) -> tuple[str, bytes]:
    # One byte over the limit is enough for check_upload to refuse it.
    return upload.filename or "附件", await upload.read(MAX_BYTES + 1)


@router.post("/ledger/{id}/rectify")
async def rectify(id: str, request: Request, app: StateDep) -> Response:
    """整改: record what was done, with attachments (each checked before anything is kept)."""
    who = await permitted(request, app, Action.RECTIFY)
    if isinstance(who, Response):
        return who
    item = await _item(app, who, id)
    if item is None:
        return not_found(who)
    data = await request.form()
    note = text_of(data, "note")
    errors: dict[str, str] = {}
    wrong = note_error(note, required="请写明整改情况，如“已于12月3日补开支部党员大会”")
    if wrong:
        errors["rectify_note"] = wrong
    files: list[tuple[str, bytes]] = []
    for upload in data.getlist("files"):
        if not isinstance(upload, UploadFile) or not (upload.filename or upload.size):
            continue  # the file input left empty
        name, content = await _upload(upload)
        try:
            check_upload(name, content)
        except AttachmentError as exc:
            errors["rectify_files"] = str(exc)
            break
        files.append((name, content))
    values = {"rectify_note": note}
    if errors:
        return await _item_page(app, who, item, status=422, errors=errors, values=values)

    def apply() -> LedgerItem:
        done = LedgerStore(app.store).rectify(item.id, note, by=who.actor, now=app.clock())
        for name, content in files:
            app.attachments().add(
                Owner.LEDGER, item.id, item.org, name, content, by=who.actor, now=app.clock()
            )
        drop_settled(app.store, [done], now=app.clock())
        return done

    try:
        await asyncio.to_thread(apply)
    except LedgerError as exc:
        return await _item_page(
            app, who, item, status=409, errors={"rectify": str(exc)}, values=values
        )
    return redirect(f"/ledger/{item.id}?done=rectified")


async def _noted_move(
    id: str,
    request: Request,
    app: AppState,
    *,
    name: str,
    required: str | None,
    move: Callable[[AppState, Caller, LedgerItem, str], object],
    done: str,
) -> Response:
    """An inspector's move of an item with a note (销号, 退回): 422 for a bad note and 409 when
    the item's state forbids the move, nothing changed either way; else back to the item."""
    who = await permitted(request, app, Action.MANAGE_LEDGER)
    if isinstance(who, Response):
        return who
    item = await _item(app, who, id)
    if item is None:
        return not_found(who)
    note = text_of(await request.form(), "note")
    field = f"{name}_note"
    wrong = note_error(note, required=required)
    if wrong:
        return await _item_page(
            app, who, item, status=422, errors={field: wrong}, values={field: note}
        )
    try:
        await asyncio.to_thread(move, app, who, item, note)
    except LedgerError as exc:
        return await _item_page(app, who, item, status=409, errors={name: str(exc)})
    return redirect(f"/ledger/{item.id}?done={done}")


def _clear(app: AppState, who: Caller, item: LedgerItem, note: str) -> None:
    done = LedgerStore(app.store).clear(
        item.id, by=who.actor, today=app.today(), now=app.clock(), note=note or None
    )
    drop_settled(app.store, [done], now=app.clock())


def _send_back(app: AppState, who: Caller, item: LedgerItem, note: str) -> None:
    LedgerStore(app.store).send_back(
        item.id, note, by=who.actor, today=app.today(), now=app.clock()
    )


@router.post("/ledger/{id}/clear")
async def clear(id: str, request: Request, app: StateDep) -> Response:
    """销号: an inspector verified the rectification."""
    return await _noted_move(
        id, request, app, name="clear", required=None, move=_clear, done="cleared"
    )


@router.post("/ledger/{id}/return")
async def send_back(id: str, request: Request, app: StateDep) -> Response:
    """退回: the rectification is not accepted; the item is open (or overdue) again."""
    return await _noted_move(
        id,
        request,
        app,
        name="return",
        required="请写明退回理由，如“未附会议记录，请补充”",
        move=_send_back,
        done="returned",
    )
