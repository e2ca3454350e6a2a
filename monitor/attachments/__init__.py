"""Attachments (附件) of meeting records and ledger items: minutes, sign-in sheets, photos.

:mod:`.model` is pure (what a file is, judged by its bytes; the limits); :mod:`.store` keeps
the rows in the database and the bytes under the data directory by SHA-256, so the same file
uploaded twice is stored once.
"""

from monitor.attachments.model import (
    MAX_BYTES,
    Attachment,
    AttachmentError,
    Kind,
    Owner,
    check_upload,
    sniff,
)
from monitor.attachments.store import AttachmentStore

__all__ = [
    "MAX_BYTES",
    "Attachment",
    "AttachmentError",
    "AttachmentStore",
    "Kind",
    "Owner",
    "check_upload",
    "sniff",
]
