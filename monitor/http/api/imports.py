"""``POST /api/v1/imports/{register}``: a register file (orgs, members or meetings) uploaded as
``orglife import …`` reads it, checked first (``dry_run=true``, the default) or imported
(``dry_run=false``).

The upload is a multipart form with one field ``file`` (CSV in UTF-8 or GB18030, .xlsx, .xls or
.ods), at most :data:`MAX_UPLOAD` bytes (413 beyond; 411 without ``Content-Length``). It goes
through the CLI's path: the readers, then ``store.import_*`` in one transaction, with the same
checks and messages. Every error is reported with its line and column:

* the reader's checks of each row are run row by row, so every bad row is named (up to
  :data:`MAX_ERRORS`), not only the first;
* only a file whose rows all read is checked across rows (a code used twice) and against the
  registers (unknown org, attendee, parent) — by the import itself, which stops at the first
  such error;
* a dry run runs the whole import in a transaction that is then rolled back, so it reports
  exactly what a commit would do (new, changed, unchanged rows; possible duplicates) and
  changes nothing.

A dry run answers 200 with the report (``ok`` false and ``errors`` when the file has errors); a
commit answers 200 with the report, or 422 problem+json listing the errors (nothing imported).

Who may import:

* ``orgs`` and ``members``: admins only. Both registers are keyed by codes and ids that are
  global across the district: an upload could move or rename an org or a member registered
  outside an inspector's subtree, and its errors would tell which codes exist there;
* ``meetings``: admins, inspectors and secretaries (:attr:`Action.EDIT_MEETINGS`); viewers get
  403. Every row's org must lie in the caller's scope (a secretary's branch and its groups, an
  inspector's subtree), else the whole upload is refused with 404, naming the rows — the same
  whether the org is elsewhere or not registered at all. An attendee given by the id of a
  member outside the scope is refused as an unregistered attendee is.

Imports are recorded in the audit trail as ``user:<name>``, with the file's name as the reason.
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Annotated, Any, Literal, cast

import structlog
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import Connection, Engine
from starlette.datastructures import UploadFile

from monitor.accounts.model import Action, Scope
from monitor.core.domain import Meeting
from monitor.core.errors import RegisterError, register_error_text
from monitor.core.kinds import KindCatalog
from monitor.http.api.meetings import attendee_error, foreign_attendees
from monitor.http.auth import Caller, caller
from monitor.http.deps import AppState, StateDep
from monitor.http.problems import ApiError, FieldError, Problem
from monitor.registers.builders import build_meetings, build_members, build_orgs
from monitor.registers.columns import Column, Header
from monitor.registers.formats import ACCEPTED_SUFFIXES, open_table
from monitor.registers.readers import (
    MEETING_COLUMNS,
    MEMBER_COLUMNS,
    ORG_COLUMNS,
    Parsed,
    read_meetings,
    read_members,
    read_orgs,
)
from monitor.store import ImportResult, Store

log = structlog.get_logger("orglife.api")

router = APIRouter(prefix="/imports", tags=["导入台账"])

MAX_UPLOAD = 20 * 1024 * 1024  # bytes of the file
_FORM_OVERHEAD = 64 * 1024  # the multipart framing around it
MAX_ERRORS = 1000  # row errors reported at most
_CHUNK = 1024 * 1024

Register = Literal["orgs", "members", "meetings"]

_SPECS: dict[str, tuple[Column, ...]] = {
    "orgs": ORG_COLUMNS,
    "members": MEMBER_COLUMNS,
    "meetings": MEETING_COLUMNS,
}

_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "台账文件：CSV（UTF-8 或 GB18030）、.xlsx、.xls "
                            "或 .ods，不超过 20 MB",
                        }
                    },
                }
            }
        },
    }
}


class RowError(BaseModel):
    """One error of the file: where (line and column, when it is about one) and what."""

    line: int | None = Field(description="行号（表头所在行也计数）；整个文件的错误为空")
    column: str | None = Field(description="列，按文件表头的写法")
    field: str | None = Field(description="列的英文名（code、date、org…）")
    code: str = Field(description="错误类别（如 bad_date、unknown_org）")
    message: str = Field(description="中文说明，含文件名、行、列和取值")


class PossibleDuplicate(BaseModel):
    """A new record that may be a stored record with a corrected date or kind."""

    line: int
    record_id: int


class ImportOut(BaseModel):
    """What an import did, or (``dry_run``) would do."""

    kind: Register = Field(description="哪种台账")
    file: str = Field(description="上传的文件名")
    dry_run: bool
    ok: bool = Field(description="文件无误（预检：可以导入；导入：已导入）")
    rows: int = Field(description="读到的数据行数")
    inserted: int = Field(description="新增")
    updated: int = Field(description="修改")
    unchanged: int = Field(description="未变")
    possible_duplicates: list[PossibleDuplicate] = Field(
        description="可能与已有记录重复的新记录（日期或类型改过的同一次会议应修改原记录）"
    )
    skipped: list[str] = Field(description="表头上方被跳过的标题行")
    errors: list[RowError]


# --- the upload ---------------------------------------------------------------------------


async def upload_limit(request: Request) -> None:
    """Refuse a body larger than the limit before anything reads it."""
    length = request.headers.get("content-length")
    if length is None:
        raise ApiError(411, "上传文件时须带 Content-Length 头。")
    try:
        size = int(length)
    except ValueError:
        raise ApiError(400, "Content-Length 头不是数字。") from None
    if size > MAX_UPLOAD + _FORM_OVERHEAD:
        raise ApiError(413, _too_large())


def _too_large() -> str:
    return f"文件太大：不能超过 {MAX_UPLOAD // (1024 * 1024)} MB；请分成几个文件导入。"


_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]")


def file_name(sent: str | None) -> str:
    """The uploaded file's name, as its messages and the trail show it (no folders)."""
    name = re.split(r"[/\\]", sent or "")[-1]
    name = _UNSAFE.sub("_", name).strip(" .")[-100:]
    return name or "upload"


def _save(source: IO[bytes], path: Path) -> None:
    size = 0
    with path.open("wb") as out:
        while chunk := source.read(_CHUNK):
            size += len(chunk)
            if size > MAX_UPLOAD:
                raise ApiError(413, _too_large())
            out.write(chunk)


# --- reading, row by row ------------------------------------------------------------------

Build = Callable[[Header, Iterable[list[str]]], Parsed[Any]]


def _builder(register: Register, today: dt.date, catalog: KindCatalog) -> Build:
    if register == "orgs":
        return lambda header, rows: build_orgs(header, rows, today=today)
    if register == "members":
        return lambda header, rows: build_members(header, rows, today=today)
    return lambda header, rows: build_meetings(header, rows, today=today, catalog=catalog)


def check_rows(
    register: Register, path: Path, today: dt.date, catalog: KindCatalog
) -> tuple[list[RegisterError], list[tuple[int, Any]], tuple[str, ...]]:
    """The reader's errors of every row (a file-level error alone), the records of the rows
    that read, with their lines, and the title rows above the header.

    Each data row is built on its own, under a copy of the header set so that the row gets its
    own line number: the same checks and messages as a whole-file read, for every row.
    """
    build = _builder(register, today, catalog)
    errors: list[RegisterError] = []
    built: list[tuple[int, Any]] = []
    skipped: tuple[str, ...] = ()
    try:
        with open_table(path, _SPECS[register]) as (header, rows):
            skipped = header.skipped
            line = header.line
            for raw in rows:
                line += 1
                one = copy.copy(header)
                one.line = line - 1
                try:
                    parsed = build(one, [raw])
                except RegisterError as exc:
                    errors.append(exc)
                    if len(errors) >= MAX_ERRORS:
                        break
                    continue
                built += zip(parsed.lines, parsed.records, strict=True)
    except RegisterError as exc:  # the file, its header, or bad quoting in a CSV
        errors.append(exc)
    return errors, built, skipped


def read(register: Register, path: Path, today: dt.date, catalog: KindCatalog) -> Parsed[Any]:
    """The whole file, as ``orglife import`` reads it (checks across rows included)."""
    if register == "orgs":
        return read_orgs(path, today=today)
    if register == "members":
        return read_members(path, today=today)
    return read_meetings(path, today=today, catalog=catalog)


# --- the import, or its rehearsal ---------------------------------------------------------


class _OneConnection:
    """An engine stand-in whose every ``connect()`` and ``begin()`` is one connection, inside a
    transaction its owner rolls back."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.dialect = conn.dialect

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        yield self.conn

    begin = connect

    def dispose(self) -> None:
        pass


@contextmanager
def rehearsal(store: Store) -> Iterator[Store]:
    """``store`` in a transaction that is rolled back: an import there does everything it
    would (checks, counts, the trail) and leaves nothing behind."""
    with store.engine.connect() as conn:
        outer = conn.begin()
        try:
            yield Store(cast(Engine, _OneConnection(conn)))
        finally:
            outer.rollback()


def _import(
    store: Store, register: Register, parsed: Parsed[Any], app: AppState, actor: str
) -> ImportResult:
    now = app.clock()
    if register == "orgs":
        return store.import_orgs(parsed, now=now, actor=actor)
    if register == "members":
        return store.import_members(parsed, now=now, actor=actor)
    return store.import_meetings(
        parsed, app.pack.catalog, rules=app.pack.rules, now=now, actor=actor
    )


# --- errors -------------------------------------------------------------------------------


def _field(register: Register, column: str | None) -> str | None:
    if column is None:
        return None
    for spec in _SPECS[register]:
        if column in (spec.name, *spec.zh):
            return spec.name
    return None


def row_error(register: Register, name: str, error: RegisterError) -> RowError:
    """The error as the report shows it: named by the uploaded file's name, not its path."""
    return RowError(
        line=error.line,
        column=error.column,
        field=_field(register, error.column),
        code=error.code.value,
        message=register_error_text(name, error.reason, error.line, error.column, error.value),
    )


def _out_of_scope(scope: Scope, rows: list[tuple[int, Meeting]]) -> list[tuple[int, str]]:
    return [(line, m.org) for line, m in rows if m.org not in scope]


def _refuse_out_of_scope(name: str, rows: list[tuple[int, str]]) -> ApiError:
    lines = "、".join(str(line) for line, _ in rows[:20]) + ("等" if len(rows) > 20 else "")
    return ApiError(
        404,
        f"{name}：第{lines}行的组织编码不存在，或不在您的权限范围内；整个文件未导入。",
        errors=[
            FieldError(
                field="org",
                message=f"{name} 第{line}行 “组织编码”列：“{org}”不存在，或不在您的权限范围内",
            )
            for line, org in rows[:MAX_ERRORS]
        ],
    )


def run(
    app: AppState, who: Caller, register: Register, path: Path, name: str, dry_run: bool
) -> ImportOut:
    """Check the file and import it (or rehearse the import); the report."""
    today = app.today()
    catalog = app.pack.catalog
    failed, built, skipped = check_rows(register, path, today, catalog)
    result: ImportResult | None = None
    if register == "meetings":
        outside = _out_of_scope(who.scope, built)
        if outside:
            raise _refuse_out_of_scope(name, outside)
        lists = [(line, m.attendees) for line, m in built]
        failed += [
            attendee_error(name, line, entry)
            for line, entry in foreign_attendees(app.store, who.scope, lists)
        ]
        failed.sort(key=lambda e: e.line or 0)
    if not failed:
        try:
            parsed = read(register, path, today, catalog)
            if dry_run:
                with rehearsal(app.store) as store:
                    result = _import(store, register, parsed, app, who.actor)
            else:
                result = _import(app.store, register, parsed, app, who.actor)
        except RegisterError as exc:
            failed.append(exc)
    errors = [row_error(register, name, e) for e in failed[:MAX_ERRORS]]
    return ImportOut(
        kind=register,
        file=name,
        dry_run=dry_run,
        ok=not errors,
        rows=result.rows if result else len(built),
        inserted=result.inserted if result else 0,
        updated=result.updated if result else 0,
        unchanged=result.unchanged if result else 0,
        possible_duplicates=[
            PossibleDuplicate(line=line, record_id=record)
            for line, record in (result.possible_duplicates if result else ())
        ],
        skipped=list(skipped),
        errors=errors,
    )


def _rejected(report: ImportOut) -> ApiError:
    first = report.errors[0].message
    more = f"等 {len(report.errors)} 处错误" if len(report.errors) > 1 else ""
    return ApiError(
        422,
        f"文件有误，未导入：{first}{more}",
        errors=[FieldError(field=e.field or "file", message=e.message) for e in report.errors],
    )


@router.post(
    "/{register}",
    response_model=ImportOut,
    dependencies=[Depends(upload_limit)],
    openapi_extra=_UPLOAD_BODY,
    responses={
        400: {"model": Problem},
        403: {"model": Problem, "description": "角色不能导入此台账"},
        404: {"model": Problem, "description": "有的行的组织不在权限范围内：整个文件未导入"},
        411: {"model": Problem},
        413: {"model": Problem, "description": "文件超过 20 MB"},
        415: {"model": Problem, "description": "不是 CSV、.xlsx、.xls 或 .ods 文件"},
        422: {"model": Problem, "description": "文件有误（errors 逐项列出），未导入"},
    },
)
async def import_register(
    register: Register,
    request: Request,
    who: Annotated[Caller, Depends(caller)],
    app: StateDep,
    dry_run: Annotated[
        bool, Query(description="true: only check (the default); false: import.")
    ] = True,
) -> ImportOut:
    """Check (dry run) or import a register file; every error with its line and column."""
    action = Action.EDIT_MEETINGS if register == "meetings" else Action.ADMIN
    if not who.may(action):
        raise ApiError(403, f"您的角色（{who.user.role.label}）不能进行此操作。")
    form = await request.form(max_files=1, max_fields=8)
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise ApiError(
                422,
                "字段“file”：缺少此项（请以 multipart/form-data 上传，字段名 file）",
                errors=[FieldError(field="file", message="缺少此项")],
            )
        name = file_name(upload.filename)
        if Path(name).suffix.lower() not in ACCEPTED_SUFFIXES:
            raise ApiError(
                415,
                f"“{name}”不是 CSV、.xlsx、.xls 或 .ods 文件；请另存为其中一种后再上传。",
                errors=[FieldError(field="file", message="文件类型不支持")],
            )
        with tempfile.TemporaryDirectory(prefix="orglife-import-") as folder:
            path = Path(folder) / name
            await asyncio.to_thread(_save, upload.file, path)
            report = await asyncio.to_thread(run, app, who, register, path, name, dry_run)
    finally:
        await form.close()
    log.info(
        "register_uploaded",
        register=register,
        file=name,
        dry_run=dry_run,
        ok=report.ok,
        rows=report.rows,
        inserted=report.inserted,
        updated=report.updated,
        errors=len(report.errors),
        by=who.actor,
    )
    if not dry_run and not report.ok:
        raise _rejected(report)
    return report
