"""What an uploaded file is, judged by its content rather than its name; pure."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass
from enum import StrEnum

from monitor.core.errors import OrglifeError

MAX_BYTES = 20 * 1024 * 1024  # a scanned sign-in sheet or a phone photo fits; a video does not
MAX_NAME = 200


class Owner(StrEnum):
    """What an attachment belongs to."""

    MEETING = "meeting"
    LEDGER = "ledger"


class Kind(StrEnum):
    JPG = "jpg"
    PNG = "png"
    PDF = "pdf"
    DOCX = "docx"

    @property
    def media_type(self) -> str:
        return _MEDIA_TYPES[self]

    @property
    def label(self) -> str:
        return _LABELS[self]


_MEDIA_TYPES = {
    Kind.JPG: "image/jpeg",
    Kind.PNG: "image/png",
    Kind.PDF: "application/pdf",
    Kind.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
_LABELS = {Kind.JPG: "JPG 图片", Kind.PNG: "PNG 图片", Kind.PDF: "PDF 文件", Kind.DOCX: "Word 文档"}
ALLOWED = "JPG、PNG 图片，PDF 或 Word（.docx）文件"


class AttachmentError(OrglifeError):
    """An upload refused: its content is not an allowed kind, it is empty or too large."""


@dataclass(frozen=True, slots=True)
class Attachment:
    """One attached file; its bytes are found by ``sha256``."""

    id: int
    owner: Owner
    owner_id: int
    org: str
    sha256: str
    name: str
    kind: Kind
    size: int
    uploaded: dt.datetime
    uploaded_by: str

    @property
    def is_image(self) -> bool:
        return self.kind in (Kind.JPG, Kind.PNG)


def sniff(data: bytes) -> Kind | None:
    """The kind ``data`` is by its leading bytes (a .docx: a zip holding ``word/document.xml``)."""
    if data.startswith(b"\xff\xd8\xff"):
        return Kind.JPG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return Kind.PNG
    if data.startswith(b"%PDF-"):
        return Kind.PDF
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, ValueError):
            return None
        if "word/document.xml" in names and "[Content_Types].xml" in names:
            return Kind.DOCX
    return None


def clean_name(name: str) -> str:
    """The file's name without any folder part or control characters, at most 200 characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip() or "附件"
    return base[-MAX_NAME:]


def check_upload(name: str, data: bytes, *, limit: int = MAX_BYTES) -> Kind:
    """The kind of an upload, or an :class:`AttachmentError` that says what is wrong."""
    shown = clean_name(name)
    if not data:
        raise AttachmentError(f"附件“{shown}”是空文件，请重新选择")
    if len(data) > limit:
        raise AttachmentError(
            f"附件“{shown}”有 {len(data) / 1048576:.1f} MB，超过 {limit // 1048576} MB 的上限；"
            "请压缩图片或拆分文件后再上传"
        )
    kind = sniff(data)
    if kind is None:
        raise AttachmentError(
            f"附件“{shown}”的内容不是{ALLOWED}（按文件内容判断，与扩展名无关），请换一个文件"
        )
    return kind
