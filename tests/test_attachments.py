"""Attachments: judged by their bytes, not their names; kept once per content; removed with a
reason that the owner's history shows. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from monitor.attachments import AttachmentError, AttachmentStore, Kind, Owner, check_upload, sniff
from monitor.store import Store

NOW = dt.datetime(2026, 11, 24, 2, tzinfo=dt.UTC)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"


def _zip(names: list[str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return buffer.getvalue()


DOCX = _zip(["[Content_Types].xml", "word/document.xml"])


@pytest.mark.parametrize(
    ("data", "kind"),
    [(PNG, Kind.PNG), (JPG, Kind.JPG), (PDF, Kind.PDF), (DOCX, Kind.DOCX)],
)
def test_a_file_is_known_by_its_content(data: bytes, kind: Kind) -> None:
    assert sniff(data) is kind
    assert check_upload("whatever.bin", data) is kind  # the name does not matter


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        ("会议记录.pdf", b"", "空文件"),
        ("照片.jpg", b"MZ\x90\x00" + b"\x00" * 10, "内容不是"),  # an .exe called .jpg
        ("记录.docx", _zip(["xl/workbook.xml", "[Content_Types].xml"]), "内容不是"),  # an xlsx
        ("记录.docx", b"PK\x03\x04broken", "内容不是"),
        ("签到表.png", PNG + b"\x00" * 2048, "超过"),
    ],
)
def test_a_bad_upload_is_refused_with_its_name(name: str, data: bytes, says: str) -> None:
    with pytest.raises(AttachmentError) as caught:
        check_upload(name, data, limit=1024)
    assert says in str(caught.value)
    assert name in str(caught.value)


def test_attachments_are_kept_once_per_content_and_removed_with_a_reason(
    demo_store: Store, tmp_path: Path
) -> None:
    files = AttachmentStore(demo_store, tmp_path / "attachments")
    record = demo_store.meetings()[0]
    assert record.id is not None
    first = files.add(Owner.MEETING, record.id, record.org, "../签到表.png", PNG, by="s", now=NOW)
    again = files.add(Owner.MEETING, record.id, record.org, "照片.png", PNG, by="s", now=NOW)
    assert first.name == "签到表.png"  # no folder part survives
    assert first.sha256 == again.sha256 == hashlib.sha256(PNG).hexdigest()
    assert files.path(first).read_bytes() == PNG
    assert [p.name for p in (tmp_path / "attachments").rglob("*") if p.is_file()] == [first.sha256]
    assert [a.id for a in files.of(Owner.MEETING, [record.id])[record.id]] == [first.id, again.id]

    files.remove(first.id, by="sec", now=NOW, reason="传错了")
    assert files.get(first.id) is None
    assert files.get(again.id) == again
    assert files.path(again).exists()  # the other row still needs the bytes
    actions = [(e.action, e.reason) for e in demo_store.events("meeting", record.id)]
    assert ("attached", None) in actions
    assert ("detached", "传错了") in actions
    with pytest.raises(AttachmentError):
        files.remove(first.id, by="sec", now=NOW, reason="再删一次")


def test_a_refused_upload_stores_nothing(demo_store: Store, tmp_path: Path) -> None:
    files = AttachmentStore(demo_store, tmp_path / "attachments")
    record = demo_store.meetings()[0]
    assert record.id is not None
    with pytest.raises(AttachmentError):
        files.add(Owner.MEETING, record.id, record.org, "a.jpg", b"not a jpeg", by="s", now=NOW)
    assert files.of(Owner.MEETING, [record.id]) == {}
    assert not (tmp_path / "attachments").exists()
