"""``/api/v1/meetings``: meeting records, inside the caller's scope.

* ``GET /meetings?org=CODE[&from=D&to=D]`` — the records as ``orglife meetings list --format
  json`` prints them (without ``org``: the caller's whole scope);
* ``POST /meetings`` — record a held meeting, as the Telegram bot's ``/record`` does: the body
  becomes a row of the meetings register, checked by the reader and imported by the store, so
  the checks and the messages are the import's; the entry time is the server's clock. 201 with
  the new record; 200 with the stored one when the same record (org, date, kinds, topic and
  lecturer) was registered before (the import updates its counts and attendees);
* ``GET /meetings/{id}``, ``PATCH /meetings/{id}`` (fields and ``reason``), ``DELETE
  /meetings/{id}`` (body ``{reason}``) and ``GET /meetings/{id}/history`` — as ``orglife
  meetings edit|delete|history``.

Writes need :attr:`Action.EDIT_MEETINGS` (secretaries for their branch and its groups,
inspectors and admins in their scope; viewers get 403) and are recorded in the audit trail as
``user:<name>``. A record whose org is outside the scope is the same 404 as one that does not
exist; an attendee given by the id of a member outside the scope is refused as an unregistered
one is.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from monitor.accounts.model import Action, Scope
from monitor.core.domain import Meeting, record_key
from monitor.core.errors import RegisterError, RegisterErrorCode, shown
from monitor.core.periods import attributed_month
from monitor.core.rules import RulePack
from monitor.http.api.models import MAX_ID
from monitor.http.auth import Caller, Reader, require
from monitor.http.deps import AppState, StateDep
from monitor.http.problems import ApiError, FieldError, Problem, not_found
from monitor.registers.readers import MEETING_COLUMNS, Parsed, meetings_from_rows
from monitor.store import MEMBER_TABLE, Store, records
from monitor.store.audit import AuditEvent
from monitor.store.sql import stored

router = APIRouter(prefix="/meetings", tags=["会议记录"], responses={404: {"model": Problem}})

Editor = Annotated[Caller, Depends(require(Action.EDIT_MEETINGS))]

SOURCE = "HTTP API"  # names the row in the reader's and the import's errors, and the trail

# The meetings register's Chinese headers (what the reader's errors name a column by), and the
# JSON field each column is in the API's bodies.
HEADER = {c.name: c.zh[0] for c in MEETING_COLUMNS}
_JSON_FIELD = {"kind": "kinds"}
FIELD_OF_HEADER = {
    alias: _JSON_FIELD.get(c.name, c.name) for c in MEETING_COLUMNS for alias in (c.name, *c.zh)
}

# The import's words for an attendee it cannot find (monitor.store.validation), also said of a
# member outside the caller's scope, so member ids elsewhere cannot be probed.
UNKNOWN_ATTENDEE = (
    "没有登记这个党员（按编号，或按会议所属组织内的姓名）；请先导入党员台账，或更正这一项"
)

_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": Problem, "description": "角色不能修改会议记录"},
    404: {"model": Problem, "description": "不存在，或不在权限范围内"},
    409: {"model": Problem, "description": "记录已删除，或与另一条记录相同"},
    422: {"model": Problem, "description": "输入有误（errors 指明字段）"},
}

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


# --- bodies -----------------------------------------------------------------------------


class MeetingOut(BaseModel):
    """A record, as `orglife meetings list --format json` prints it."""

    id: int
    org: str = Field(description="开会的组织编码")
    kinds: list[str] = Field(description="会议类型（规则包中的类型编号，排序）")
    date: str = Field(description="会议日期（YYYY-MM-DD）", json_schema_extra={"format": "date"})
    expected: int | None = Field(description="应到人数")
    attended: int | None = Field(description="实到人数")
    lecturer: str | None = Field(description="授课人")
    topic: str | None = Field(description="主题")
    attendees: list[str] = Field(description="参会人员的党员编号")
    recorded_at: str | None = Field(
        description="录入时间（服务器时钟，UTC）", json_schema_extra={"format": "date-time"}
    )
    recorded: str | None = Field(
        description="录入日期（北京时间），迟录检查用", json_schema_extra={"format": "date"}
    )
    for_period: str | None = Field(description="补记所属的期间（如 2025-Q4）")
    deleted: bool = Field(description="是否已删除")


def record_out(record: records.StoredRecord) -> MeetingOut:
    m = record.meeting
    assert m.id is not None
    return MeetingOut(
        id=m.id,
        org=m.org,
        kinds=sorted(m.kinds),
        date=m.date.isoformat(),
        expected=m.expected,
        attended=m.attended,
        lecturer=m.lecturer,
        topic=m.topic,
        attendees=list(m.attendees),
        recorded_at=m.recorded_at.isoformat() if m.recorded_at is not None else None,
        recorded=m.recorded.isoformat() if m.recorded is not None else None,
        for_period=m.for_period,
        deleted=record.deleted,
    )


class EventOut(BaseModel):
    """One change of a record, as `orglife meetings history --format json` prints it."""

    at: str = Field(json_schema_extra={"format": "date-time"})
    by: str = Field(description="谁改的：user:<用户名>、cli:<系统用户>、bot:<党员编号>、import")
    action: str = Field(description="created、edited、deleted、restored")
    reason: str | None
    changes: dict[str, list[Any]] = Field(description="字段 → [原值, 新值]")


def event_out(event: AuditEvent) -> EventOut:
    return EventOut(
        at=event.at.isoformat(),
        by=event.actor,
        action=event.action,
        reason=event.reason,
        changes=event.changes,
    )


class MeetingIn(BaseModel):
    """A held meeting to record (one row of the meetings register)."""

    model_config = ConfigDict(extra="forbid")

    org: str = Field(min_length=1, description="开会的组织编码（支部或党小组）")
    kinds: list[str] = Field(
        min_length=1, description="会议类型：类型编号或中文名（如 主题党日、党课）"
    )
    date: dt.date = Field(description="会议日期，不能晚于今天")
    expected: int = Field(description="应到人数")
    attended: int = Field(description="实到人数")
    lecturer: str | None = Field(default=None, description="授课人（党课）")
    topic: str | None = Field(default=None, description="主题")
    attendees: list[str] | None = Field(default=None, description="参会人员的党员编号")
    for_period: str | None = Field(
        default=None, description="补开时所属的较早期间：2025、2025-H2、2025-Q4、2025-12…"
    )


class MeetingPatch(BaseModel):
    """What an edit changes (fields left out stay as they are; ``null`` clears an optional one)
    and why."""

    model_config = ConfigDict(extra="forbid")

    reason: Reason = Field(description="修改原因（记入修改记录）")
    date: dt.date | None = None
    kinds: list[str] | None = Field(default=None, min_length=1)
    expected: int | None = None
    attended: int | None = None
    lecturer: str | None = None
    topic: str | None = None
    attendees: list[str] | None = None
    for_period: str | None = None


class DeleteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason = Field(description="删除原因（记入修改记录）")


# --- register errors as problems ----------------------------------------------------------


def cell_message(error: RegisterError) -> str:
    """The reader's or the import's message about one cell, with the value it refused."""
    text = error.reason
    value = error.value
    if value is not None and value != "" and f"“{shown(value)}”" not in text:
        text += f"（值：“{shown(value)}”）"
    return text


def field_of(error: RegisterError) -> str:
    """The JSON field a register error about a meeting row is about."""
    if error.column is None:
        return "请求体"
    return FIELD_OF_HEADER.get(error.column, error.column)


def invalid(error: RegisterError) -> ApiError:
    """A 422 problem naming the body's field a register error is about."""
    field = field_of(error)
    message = cell_message(error)
    return ApiError(
        422, f"字段“{field}”：{message}", errors=[FieldError(field=field, message=message)]
    )


# --- scope --------------------------------------------------------------------------------


def foreign_attendees(
    store: Store, scope: Scope, rows: Iterable[tuple[int, Iterable[str]]]
) -> list[tuple[int, str]]:
    """(line, entry) of each attendee entry (of the rows' attendance lists, by line) that is the
    id of a member outside ``scope``.

    The import accepts any registered member id; a caller must not record, nor probe for,
    members outside their scope. Entries that are no member's id are left to the import (it
    reads them as names, looked up within the meeting's org).
    """
    if scope.everything:
        return []
    wanted = [(line, entry) for line, attendees in rows for entry in attendees]
    if not wanted:
        return []
    inside = {m.id for m in store.members(scope.orgs)}
    outside = {entry for _, entry in wanted} - inside
    if not outside:
        return []
    with store.engine.connect() as conn:
        registered = stored(conn, MEMBER_TABLE.c.id, outside)
    return [(line, entry) for line, entry in wanted if entry in registered]


def attendee_error(source: str, line: int | None, entry: str) -> RegisterError:
    return RegisterError(
        source,
        UNKNOWN_ATTENDEE,
        code=RegisterErrorCode.UNKNOWN_ATTENDEE,
        line=line,
        column=HEADER["attendees"],
        value=entry,
    )


def org_exists(store: Store, code: str) -> bool:
    return bool(store.orgs([code]))


async def in_scope(who: Caller, store: Store, record_id: int) -> records.StoredRecord:
    """The record ``record_id`` when it exists and its org lies in the caller's scope; else the
    uniform 404."""
    if not 0 < record_id <= MAX_ID:  # not an id the database could hold: no such record
        raise not_found()
    try:
        record = await asyncio.to_thread(records.get_record, store, record_id)
    except records.RecordError:
        raise not_found() from None
    who.check(record.meeting.org)
    return record


# --- routes -------------------------------------------------------------------------------


@router.get("", response_model=list[MeetingOut], responses={422: {"model": Problem}})
async def list_meetings(
    who: Reader,
    app: StateDep,
    org: Annotated[
        str | None, Query(description="This org and its subtree (default: the whole scope).")
    ] = None,
    first: Annotated[dt.date | None, Query(alias="from", description="Held on or after.")] = None,
    last: Annotated[dt.date | None, Query(alias="to", description="Held on or before.")] = None,
    deleted: Annotated[bool, Query(description="Include deleted records.")] = False,
) -> list[MeetingOut]:
    """The records by date, as `orglife meetings list --format json`."""
    if first is not None and last is not None and first > last:
        raise ApiError(
            422,
            f"from {first.isoformat()} 晚于 to {last.isoformat()}",
            errors=[FieldError(field="from", message="不能晚于 to")],
        )
    if org is not None:
        who.check(org)
    store = app.store

    def find() -> list[records.StoredRecord]:
        if org is not None:
            if not org_exists(store, org):
                raise not_found()
            orgs: list[str] | None = [c for c in store.subtree(org) if c in who.scope]
        else:
            orgs = None if who.scope.everything else sorted(who.scope.orgs)
        return records.list_records(store, orgs=orgs, first=first, last=last, deleted=deleted)

    return [record_out(r) for r in await asyncio.to_thread(find)]


def _row(body: MeetingIn) -> dict[str, str]:
    """The body as a row of the meetings register (its Chinese headers)."""
    return {
        HEADER["org"]: body.org,
        HEADER["kind"]: "+".join(body.kinds),
        HEADER["date"]: body.date.isoformat(),
        HEADER["expected"]: str(body.expected),
        HEADER["attended"]: str(body.attended),
        HEADER["lecturer"]: body.lecturer or "",
        HEADER["topic"]: body.topic or "",
        HEADER["attendees"]: ";".join(body.attendees or ()),
        HEADER["for_period"]: body.for_period or "",
    }


def stored_record(store: Store, meeting: Meeting) -> records.StoredRecord:
    """The stored record ``meeting`` is (its natural key: org, date, kinds, topic, lecturer,
    and the month it counts in)."""
    key = record_key(meeting)
    month = attributed_month(meeting.date, meeting.for_period)
    for record in records.list_records(
        store, orgs=[meeting.org], first=meeting.date, last=meeting.date, deleted=True
    ):
        m = record.meeting
        if record_key(m) == key and attributed_month(m.date, m.for_period) == month:
            return record
    raise LookupError(f"record of {meeting.org} on {meeting.date} not stored")


def record_meeting(
    app: AppState, scope: Scope, body: MeetingIn, actor: str
) -> tuple[records.StoredRecord, bool]:
    """Read the body as a register row and import it; (the stored record, whether it is new)."""
    return record_row(app, scope, _row(body), actor)


def record_row(
    app: AppState, scope: Scope, row: dict[str, str], actor: str
) -> tuple[records.StoredRecord, bool]:
    """Import one row of the meetings register (cells under their Chinese headers, as
    :data:`HEADER` names them), checked as a file's row is; (the stored record, whether it is
    new). The API's bodies and the pages' forms both come this way."""
    pack: RulePack = app.pack
    today = app.today()
    parsed: Parsed[Meeting] = meetings_from_rows(
        [row], source=SOURCE, today=today, catalog=pack.catalog
    )
    rows = [(line, m.attendees) for line, m in zip(parsed.lines, parsed.records, strict=True)]
    for line, entry in foreign_attendees(app.store, scope, rows):
        raise attendee_error(SOURCE, line, entry)
    result = app.store.import_meetings(
        parsed, pack.catalog, rules=pack.rules, now=app.clock(), actor=actor
    )
    return stored_record(app.store, parsed.records[0]), result.inserted > 0


@router.post(
    "",
    response_model=MeetingOut,
    status_code=201,
    responses={**_ERRORS, 200: {"model": MeetingOut, "description": "已登记过的同一记录"}},
)
async def create_meeting(
    body: MeetingIn, who: Editor, app: StateDep, response: Response
) -> MeetingOut:
    """Record a held meeting, checked and imported as a register row is."""
    who.check(body.org)
    if not await asyncio.to_thread(org_exists, app.store, body.org):
        raise not_found()
    try:
        record, new = await asyncio.to_thread(record_meeting, app, who.scope, body, who.actor)
    except RegisterError as exc:
        raise invalid(exc) from None
    if record.deleted:
        raise ApiError(
            409,
            f"相同的记录 #{record.meeting.id} 已删除；如需恢复，请用 orglife meetings restore",
        )
    if not new:
        response.status_code = 200
    response.headers["Location"] = f"/api/v1/meetings/{record.meeting.id}"
    return record_out(record)


@router.get("/{record_id}", response_model=MeetingOut)
async def get_meeting(record_id: int, who: Reader, app: StateDep) -> MeetingOut:
    """One record (deleted ones too)."""
    return record_out(await in_scope(who, app.store, record_id))


def edit_meeting_record(
    app: AppState, who: Caller, record_id: int, edit: records.Edit, reason: str
) -> records.StoredRecord:
    """Apply ``edit`` to a record in the caller's scope (attendees outside the scope refused as
    unregistered ones are); the record as it is now. Raises :class:`RegisterError` for a bad
    cell and :class:`records.RecordError` for a record that cannot be changed."""
    if edit.attendees:
        entries = [e for e in edit.attendees.split(";") if e]
        refused = foreign_attendees(app.store, who.scope, [(0, entries)])
        if refused:
            raise attendee_error(SOURCE, None, refused[0][1])
    records.edit_record(
        app.store,
        record_id,
        edit,
        catalog=app.pack.catalog,
        today=app.today(),
        now=app.clock(),
        actor=who.actor,
        reason=reason,
    )
    return records.get_record(app.store, record_id)


def edit_of(body: MeetingPatch) -> records.Edit:
    """The patch as an edit: fields left out unchanged, ``null`` clearing an optional one."""
    given = body.model_fields_set

    def cell(name: str, value: object) -> str | None:
        if name not in given:
            return None
        if value is None:
            return ""
        if isinstance(value, list):
            return ";".join(str(v) for v in value)
        if isinstance(value, dt.date):
            return value.isoformat()
        return str(value)

    return records.Edit(
        date=cell("date", body.date),
        kinds=tuple(body.kinds) if body.kinds else (),
        expected=cell("expected", body.expected),
        attended=cell("attended", body.attended),
        topic=cell("topic", body.topic),
        lecturer=cell("lecturer", body.lecturer),
        attendees=cell("attendees", body.attendees),
        for_period=cell("for_period", body.for_period),
    )


def _conflict(error: records.RecordError) -> ApiError:
    return ApiError(409, str(error))


@router.patch("/{record_id}", response_model=MeetingOut, responses=_ERRORS)
async def edit_meeting(
    record_id: int, body: MeetingPatch, who: Editor, app: StateDep
) -> MeetingOut:
    """Correct a record: checked as an import row is; it keeps its entry date and time."""
    await in_scope(who, app.store, record_id)
    if "date" in body.model_fields_set and body.date is None:
        raise ApiError(
            422, "字段“date”：不能为空", errors=[FieldError(field="date", message="不能为空")]
        )

    def edit() -> records.StoredRecord:
        return edit_meeting_record(app, who, record_id, edit_of(body), body.reason)

    try:
        return record_out(await asyncio.to_thread(edit))
    except RegisterError as exc:
        raise invalid(exc) from None
    except records.RecordError as exc:
        raise _conflict(exc) from None


@router.delete("/{record_id}", status_code=204, responses=_ERRORS)
async def delete_meeting(record_id: int, body: DeleteIn, who: Editor, app: StateDep) -> None:
    """Delete a record: it stops counting; its row and its trail stay."""
    await in_scope(who, app.store, record_id)
    try:
        await asyncio.to_thread(
            records.delete_record,
            app.store,
            record_id,
            now=app.clock(),
            actor=who.actor,
            reason=body.reason,
        )
    except records.RecordError as exc:
        raise _conflict(exc) from None


@router.get("/{record_id}/history", response_model=list[EventOut])
async def meeting_history(record_id: int, who: Reader, app: StateDep) -> list[EventOut]:
    """Every change of a record, oldest first: when, by whom, what and why."""
    await in_scope(who, app.store, record_id)
    trail = await asyncio.to_thread(records.history, app.store, record_id)
    return [event_out(e) for e in trail]
