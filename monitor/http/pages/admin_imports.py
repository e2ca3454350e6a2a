"""``/admin/imports``: a register file (orgs, members or meetings) uploaded, checked, confirmed.

The first post uploads the file and runs the API's dry run (:func:`monitor.http.api.imports.run`,
the import rehearsed in a transaction that is rolled back), which lists every error with its
line and column; nothing is stored. When the file is clean the page offers “确认导入”, a second
post that imports the very same bytes in one transaction (the same ``run``, committing).

Between the two posts the bytes wait under the data directory, named by their SHA-256, in a
folder bound to the uploader's session (a digest of the user and the session's secret CSRF
token, so another session or user cannot confirm or even name it). The confirm form carries
only the digest; the file is read back and checked against it, so what is imported is exactly
what was checked — a re-upload could silently be another file, and a browser cannot refill a
file field. Each session keeps at most one waiting file; a confirmed one is deleted.

The upload is checked by its bytes, not its name: a ``.csv`` must be text (UTF-8 or GB18030,
no NUL or other control bytes), a ``.xlsx``/``.xlsm``/``.ods`` a ZIP container, a ``.xls`` an
OLE2 compound file.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import shutil
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import structlog
from fastapi import APIRouter, Request
from starlette.datastructures import UploadFile
from starlette.responses import Response

from monitor.http.api.imports import MAX_UPLOAD, ImportOut, Register, file_name, run
from monitor.http.auth import Caller
from monitor.http.deps import AppState, StateDep
from monitor.http.html import page
from monitor.http.pages.admin import admin
from monitor.http.pages.common import show
from monitor.http.problems import ApiError
from monitor.http.state import data_dir_for
from monitor.registers.formats import ACCEPTED_SUFFIXES, CSV_ENCODINGS

log = structlog.get_logger("orglife.web")

router = APIRouter(include_in_schema=False)

REGISTERS: dict[str, str] = {"orgs": "组织", "members": "党员", "meetings": "会议记录"}
_FORM_OVERHEAD = 64 * 1024
_DIGEST = re.compile(r"^[0-9a-f]{64}$")
_ZIP = b"PK\x03\x04"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ALLOWED_CONTROLS = frozenset("\t\r\n")
WORKBOOK_MAGIC = {".xlsx": _ZIP, ".xlsm": _ZIP, ".ods": _ZIP, ".xls": _OLE2}
_RESAVE = "请用表格软件另存后再上传。"
_STALE = "待导入的文件已失效（可能已导入，或在别处重新上传过）；请重新上传。"


def content_error(name: str, data: bytes) -> str | None:
    """Why ``data`` is not the register file its name says it is (None: it is)."""
    suffix = Path(name).suffix.lower()
    if suffix not in ACCEPTED_SUFFIXES:
        return f"“{name}”不是 CSV、.xlsx、.xls 或 .ods 文件；请另存为其中一种后再上传。"
    if not data:
        return f"“{name}”是空文件。"
    if suffix in WORKBOOK_MAGIC:
        if not data.startswith(WORKBOOK_MAGIC[suffix]):
            return f"“{name}”的内容不是 {suffix} 工作簿（可能只是改了扩展名）；{_RESAVE}"
        return None
    text = _decoded(data)
    if text is None or any(
        unicodedata.category(c) == "Cc" and c not in _ALLOWED_CONTROLS for c in text
    ):
        return (
            f"“{name}”的内容不是 CSV 文本（可能是图片或其他文件改了扩展名）；"
            "请从表格软件“另存为 CSV（UTF-8）”后再上传。"
        )
    return None


def _decoded(data: bytes) -> str | None:
    for encoding in CSV_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


# --- the waiting file ---------------------------------------------------------------------


def owner_key(who: Caller) -> str:
    """The folder of the caller's waiting upload: their user and their session's secret."""
    secret = who.session.csrf if who.session is not None else "bearer"
    return hashlib.sha256(f"{who.user.id}:{secret}".encode()).hexdigest()[:40]


def pending_root(app: AppState) -> Path:
    return (app.data_dir or data_dir_for(app.store)) / "imports"


def keep(root: Path, owner: str, register: str, name: str, data: bytes) -> tuple[str, Path]:
    """Store ``data`` as the owner's one waiting upload of ``register``; its digest and path."""
    digest = hashlib.sha256(data).hexdigest()
    folder = root / owner
    if folder.exists():
        shutil.rmtree(folder)  # one waiting file per session
    folder.mkdir(parents=True, mode=0o700)
    path = folder / f"{register}-{digest}{Path(name).suffix.lower()}"
    path.write_bytes(data)
    return digest, path


def waiting(root: Path, owner: str, register: str, digest: str) -> Path | None:
    """The owner's waiting upload of ``register`` with this digest, its bytes unchanged;
    None otherwise."""
    if not _DIGEST.match(digest):
        return None
    folder = root / owner
    for suffix in ACCEPTED_SUFFIXES:
        path = folder / f"{register}-{digest}{suffix}"
        if path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == digest:
            return path
    return None


# --- the page -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ErrorLine:
    line: str
    column: str
    message: str


@dataclass(frozen=True, slots=True)
class Report:
    """A dry run's or an import's outcome, for the page."""

    register: str
    register_zh: str
    file: str
    dry_run: bool
    ok: bool
    rows: int
    inserted: int
    updated: int
    unchanged: int
    duplicates: list[tuple[int, int]]  # (line, stored record id)
    skipped: list[str]
    errors: list[ErrorLine]
    digest: str | None = None  # the waiting file to confirm (a clean dry run)


@dataclass(frozen=True, slots=True)
class ImportsView:
    registers: dict[str, str] = field(default_factory=lambda: dict(REGISTERS))
    register: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    report: Report | None = None
    max_mb: int = MAX_UPLOAD // (1024 * 1024)


def report_of(out: ImportOut, digest: str | None = None) -> Report:
    return Report(
        register=out.kind,
        register_zh=REGISTERS[out.kind],
        file=out.file,
        dry_run=out.dry_run,
        ok=out.ok,
        rows=out.rows,
        inserted=out.inserted,
        updated=out.updated,
        unchanged=out.unchanged,
        duplicates=[(d.line, d.record_id) for d in out.possible_duplicates],
        skipped=list(out.skipped),
        errors=[
            ErrorLine(
                line="" if e.line is None else str(e.line),
                column=e.column or "",
                message=e.message,
            )
            for e in out.errors
        ],
        digest=digest if out.ok and out.dry_run else None,
    )


def _form(
    who: Caller,
    status: int = 200,
    *,
    register: str = "",
    errors: dict[str, str] | None = None,
    report: Report | None = None,
) -> Response:
    view = ImportsView(register=register, errors=errors or {}, report=report)
    return show(who, "admin_imports.html", status=status, view=view)


@router.get("/admin/imports")
async def imports_page(request: Request, app: StateDep) -> Response:
    """The upload form."""
    who = await admin(request, app)
    if not isinstance(who, Caller):
        return who
    return _form(who)


def _run(app: AppState, who: Caller, register: str, path: Path, name: str, dry: bool) -> ImportOut:
    return run(app, who, cast(Register, register), path, name, dry)


@router.post("/admin/imports")
async def upload(request: Request, app: StateDep) -> Response:
    """A file (``register``, ``file``): checked, nothing stored; or (``confirm`` = the checked
    file's digest, ``name``) imported in one transaction."""
    # Before anything reads the body (checking the CSRF field parses the whole form).
    length = request.headers.get("content-length", "")
    if not length.isdigit() or int(length) > MAX_UPLOAD + _FORM_OVERHEAD:
        return page("upload_too_large.html", status=413, message=_too_large())
    who = await admin(request, app)
    if not isinstance(who, Caller):
        return who
    form = await request.form(max_files=1, max_fields=8)
    try:
        register = str(form.get("register", ""))
        if register not in REGISTERS:
            return _form(who, 422, errors={"register": "请选择要导入的台账。"})
        confirm = str(form.get("confirm", ""))
        if confirm:
            name = file_name(str(form.get("name", "")))
            return await _confirm(app, who, register, confirm, name)
        sent = form.get("file")
        if not isinstance(sent, UploadFile) or not sent.filename:
            return _form(who, 422, register=register, errors={"file": "请选择要上传的文件。"})
        name = file_name(sent.filename)
        data = await sent.read(MAX_UPLOAD + 1)
    finally:
        await form.close()
    return await _check(app, who, register, name, data)


async def _check(app: AppState, who: Caller, register: str, name: str, data: bytes) -> Response:
    """The dry run of an upload, kept for its confirmation when it is clean."""
    if len(data) > MAX_UPLOAD:
        return _form(who, 413, register=register, errors={"file": _too_large()})
    problem = content_error(name, data)
    if problem is not None:
        return _form(who, 415, register=register, errors={"file": problem})
    digest, path = await asyncio.to_thread(
        keep, pending_root(app), owner_key(who), register, name, data
    )
    try:
        out = await asyncio.to_thread(_run, app, who, register, path, name, True)
    except ApiError as exc:  # a meetings file naming orgs outside the scope (not an admin's)
        return _form(who, exc.status, register=register, errors={"file": exc.detail})
    _log(out, who)
    return _form(who, register=register, report=report_of(out, digest))


async def _confirm(app: AppState, who: Caller, register: str, digest: str, name: str) -> Response:
    """The import of the caller's checked upload, in one transaction; then it is deleted."""
    root, owner = pending_root(app), owner_key(who)
    path = await asyncio.to_thread(waiting, root, owner, register, digest)
    if path is None:
        return _form(who, 409, register=register, errors={"file": _STALE})
    try:
        out = await asyncio.to_thread(_run, app, who, register, path, name, False)
    except ApiError as exc:
        return _form(who, exc.status, register=register, errors={"file": exc.detail})
    if out.ok:
        await asyncio.to_thread(shutil.rmtree, root / owner, True)
    _log(out, who)
    return _form(who, 200 if out.ok else 422, register=register, report=report_of(out))


def _too_large() -> str:
    return f"文件太大：不能超过 {MAX_UPLOAD // (1024 * 1024)} MB；请分成几个文件导入。"


def _log(out: ImportOut, who: Caller) -> None:
    log.info(
        "register_uploaded",
        register=out.kind,
        file=out.file,
        dry_run=out.dry_run,
        ok=out.ok,
        rows=out.rows,
        inserted=out.inserted,
        updated=out.updated,
        errors=len(out.errors),
        by=who.actor,
    )
