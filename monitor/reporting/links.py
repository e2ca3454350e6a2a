"""Signed, expiring links to a monthly summary: opened from a DingTalk or Feishu group without
a login.

A link names the org, the month, the format and when it expires, and carries an HMAC-SHA256
of those under a key kept in the database (setting ``report_link_key``, made on first use), so
every replica signs and checks with the same key. Changing the key revokes every link.
The key is never logged, listed or written to the audit trail.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from monitor.store import Store
from monitor.store.tables import SettingRow

LINK_KEY = "report_link_key"
LINK_DAYS = 30
FORMATS = ("html", "docx", "xlsx")
_SETTING = SettingRow.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class ReportLink:
    """What a link grants: one org's summary of one month, in one format, until ``expires``."""

    org: str
    month: str  # YYYY-MM
    fmt: str
    expires: int  # Unix seconds

    @property
    def message(self) -> bytes:
        return f"{self.org}\n{self.month}\n{self.fmt}\n{self.expires}".encode()

    def path(self, key: bytes) -> str:
        """The link's path and query, signed with ``key``."""
        query = urlencode({"expires": self.expires, "sig": sign(key, self)})
        return f"/reports/{quote(self.org, safe='')}/{self.month}.{self.fmt}?{query}"


def sign(key: bytes, link: ReportLink) -> str:
    digest = hmac.new(key, link.message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def valid(key: bytes, link: ReportLink, signature: str, *, now: dt.datetime) -> bool:
    """Whether ``signature`` is ``link``'s and the link has not expired at ``now``."""
    if link.fmt not in FORMATS or link.expires < now.timestamp():
        return False
    return hmac.compare_digest(sign(key, link), signature)


def link_key(store: Store) -> bytes:
    """The signing key, made once and shared by every replica through the database."""
    query = select(_SETTING.c.value).where(_SETTING.c.key == LINK_KEY)
    with store.engine.connect() as conn:
        found = conn.execute(query).scalar_one_or_none()
    if found is not None:
        return str(found).encode()
    try:
        with store.engine.begin() as conn:
            conn.execute(insert(_SETTING).values(key=LINK_KEY, value=secrets.token_urlsafe(32)))
    except IntegrityError:
        pass  # another replica made it first: use theirs
    with store.engine.connect() as conn:
        return str(conn.execute(query).scalar_one()).encode()


def signed_url(
    public_url: str,
    key: bytes,
    *,
    org: str,
    month: str,
    fmt: str = "html",
    now: dt.datetime,
    days: int = LINK_DAYS,
) -> str:
    """The full link on ``public_url`` (ORGLIFE_PUBLIC_URL), valid ``days`` from ``now``."""
    expires = int((now + dt.timedelta(days=days)).timestamp())
    link = ReportLink(org, month, fmt, expires)
    return public_url.rstrip("/") + link.path(key)
