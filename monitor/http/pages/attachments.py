"""``/attachments/{id}``: a record's or a ledger item's file, served only to those who may read
its org (else the same 404 as a missing one); ``POST /attachments/{id}/delete`` takes it off
its owner with a reason (editors of meeting records; the bytes and the trail stay).

Images and PDFs open in the browser (``inline``), Word files download (``attachment``); the
Content-Type is the one the content was judged to be on upload, never the name's, and
``nosniff`` keeps the browser from guessing another.
"""

from __future__ import annotations

import asyncio
from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.responses import Response

from monitor.accounts.model import Action
from monitor.attachments import Attachment, AttachmentError, Kind, Owner
from monitor.http.api.models import MAX_ID
from monitor.http.deps import StateDep
from monitor.http.html import redirect, secured
from monitor.http.pages.common import not_found, show, signed_in, to_login

router = APIRouter(include_in_schema=False)


# Who may take a file off: an editor of meeting records, or one who rectifies ledger items.
EDITS = {Owner.MEETING: Action.EDIT_MEETINGS, Owner.LEDGER: Action.RECTIFY}


def disposition(attachment: Attachment) -> str:
    """``inline`` for images and PDFs, ``attachment`` for Word files, with the file's name both
    as ASCII (non-ASCII characters replaced) and in RFC 5987 form."""
    how = "attachment" if attachment.kind is Kind.DOCX else "inline"
    ascii_name = "".join(
        ch if 32 <= ord(ch) < 127 and ch not in '"\\;' else "_" for ch in attachment.name
    )
    return f"{how}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(attachment.name, safe='')}"


def owner_page(attachment: Attachment) -> str:
    """The page of what the file is attached to."""
    if attachment.owner is Owner.LEDGER:
        return f"/ledger/{attachment.owner_id}"
    return f"/records/{attachment.owner_id}"


@router.get("/attachments/{attachment_id}")
async def attachment_file(attachment_id: int, request: Request, app: StateDep) -> Response:
    """The file, to a caller who may read its org."""
    who = await signed_in(request, app)
    if who is None:
        return to_login(request)
    if not 0 < attachment_id <= MAX_ID:  # larger: no row, not a database error
        return not_found(who)
    files = app.attachments()
    found = await asyncio.to_thread(files.get, attachment_id)
    if found is None or found.org not in who.scope:
        return not_found(who)
    try:
        data = await asyncio.to_thread(files.read, found)
    except FileNotFoundError:
        return not_found(who)
    response = secured(Response(data, media_type=found.kind.media_type))
    response.headers["Content-Disposition"] = disposition(found)
    response.headers["Cache-Control"] = "private"
    return response


@router.post("/attachments/{attachment_id}/delete")
async def delete_attachment(attachment_id: int, request: Request, app: StateDep) -> Response:
    """Take the file off its record or item, with a reason; back to the owner's page."""
    who = await signed_in(request, app)
    if who is None:
        return to_login(request)
    if not 0 < attachment_id <= MAX_ID:  # larger: no row, not a database error
        return not_found(who)
    files = app.attachments()
    found = await asyncio.to_thread(files.get, attachment_id)
    if found is None or found.org not in who.scope:
        return not_found(who)
    if not who.may(EDITS[found.owner]):
        return show(who, "forbidden.html", status=403)
    form = await request.form()
    reason = form.get("reason")
    reason = reason.strip() if isinstance(reason, str) else ""
    back = owner_page(found)
    if not reason:
        return show(
            who,
            "attachment_delete.html",
            status=422,
            attachment=found,
            back=back,
            error="请填写删除原因（记入修改记录）",
        )
    try:
        await asyncio.to_thread(
            files.remove, attachment_id, by=who.actor, now=app.clock(), reason=reason
        )
    except AttachmentError:
        return not_found(who)
    return redirect(back)
