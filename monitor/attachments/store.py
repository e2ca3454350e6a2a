"""Attachments in the database (``attachment`` rows) and on disk (``<root>/ab/abcdef…``).

Bytes are written to a temporary file and renamed into place before the row is inserted, so
a row never points at a half-written file; a file whose row was never committed is harmless
(the same upload reuses it). Removing an attachment marks its row removed and keeps the bytes:
the record's history still names it, and another row may share the file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import and_, insert, select, update

from monitor.attachments.model import (
    Attachment,
    AttachmentError,
    Kind,
    Owner,
    check_upload,
    clean_name,
)
from monitor.store import Store
from monitor.store.audit import record_event
from monitor.store.moments import aware, utc
from monitor.store.tables import AttachmentRow

TABLE = AttachmentRow.__table__  # type: ignore[attr-defined]
_AUDITED = {Owner.MEETING: "meeting", Owner.LEDGER: "ledger_item"}


class AttachmentStore:
    """The attachments of ``store``, their bytes under ``root``."""

    def __init__(self, store: Store, root: Path) -> None:
        self.store = store
        self.root = root

    def path(self, attachment: Attachment) -> Path:
        """Where the bytes of ``attachment`` are."""
        return self.root / attachment.sha256[:2] / attachment.sha256

    def add(
        self,
        owner: Owner,
        owner_id: int,
        org: str,
        name: str,
        data: bytes,
        *,
        by: str,
        now: dt.datetime,
    ) -> Attachment:
        """Keep ``data`` as an attachment of ``owner`` #``owner_id`` (checked by content)."""
        kind = check_upload(name, data)
        digest = hashlib.sha256(data).hexdigest()
        self._write(digest, data)
        row = {
            "owner": owner.value,
            "owner_id": owner_id,
            "org": org,
            "sha256": digest,
            "name": clean_name(name),
            "kind": kind.value,
            "size": len(data),
            "uploaded": utc(now),
            "uploaded_by": by[:100],
        }
        with self.store.engine.begin() as conn:
            new = conn.execute(insert(TABLE).values(**row).returning(*TABLE.c)).one()
            record_event(
                conn,
                at=now,
                actor=by,
                entity=_AUDITED[owner],
                entity_id=owner_id,
                action="attached",
                changes={"attachment": [None, row["name"]]},
            )
        return _attachment(new)

    def remove(self, attachment_id: int, *, by: str, now: dt.datetime, reason: str) -> Attachment:
        """Take an attachment off its owner (the bytes stay; the history names it)."""
        with self.store.engine.begin() as conn:
            row = conn.execute(
                update(TABLE)
                .where(and_(TABLE.c.id == attachment_id, TABLE.c.removed.is_(None)))
                .values(removed=utc(now))
                .returning(*TABLE.c)
            ).first()
            if row is None:
                raise AttachmentError(f"附件#{attachment_id}不存在或已删除")
            gone = _attachment(row)
            record_event(
                conn,
                at=now,
                actor=by,
                entity=_AUDITED[gone.owner],
                entity_id=gone.owner_id,
                action="detached",
                reason=reason,
                changes={"attachment": [gone.name, None]},
            )
        return gone

    def get(self, attachment_id: int) -> Attachment | None:
        """The attachment (not removed), or None."""
        with self.store.engine.connect() as conn:
            row = conn.execute(
                select(TABLE).where(and_(TABLE.c.id == attachment_id, TABLE.c.removed.is_(None)))
            ).first()
        return None if row is None else _attachment(row)

    def of(self, owner: Owner, owner_ids: Iterable[int]) -> dict[int, list[Attachment]]:
        """The attachments of each of ``owner_ids`` (only those that have any), oldest first."""
        ids = sorted(set(owner_ids))
        found: dict[int, list[Attachment]] = {}
        if not ids:
            return found
        with self.store.engine.connect() as conn:
            for start in range(0, len(ids), 500):
                rows = conn.execute(
                    select(TABLE)
                    .where(
                        and_(
                            TABLE.c.owner == owner.value,
                            TABLE.c.owner_id.in_(ids[start : start + 500]),
                            TABLE.c.removed.is_(None),
                        )
                    )
                    .order_by(TABLE.c.id)
                )
                for row in rows:
                    found.setdefault(int(row.owner_id), []).append(_attachment(row))
        return found

    def read(self, attachment: Attachment) -> bytes:
        return self.path(attachment).read_bytes()

    def _write(self, digest: str, data: bytes) -> None:
        target = self.root / digest[:2] / digest
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def _attachment(row: Any) -> Attachment:
    return Attachment(
        id=int(row.id),
        owner=Owner(row.owner),
        owner_id=int(row.owner_id),
        org=str(row.org),
        sha256=str(row.sha256),
        name=str(row.name),
        kind=Kind(row.kind),
        size=int(row.size),
        uploaded=aware(row.uploaded),
        uploaded_by=str(row.uploaded_by),
    )
