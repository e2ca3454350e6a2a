"""The store's side of calendar feeds: URL tokens and event stamps."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from monitor.calendar.ical import EventStamp
from monitor.store import Store
from monitor.store.moments import aware, utc
from monitor.store.tables import FeedEventRow, FeedTokenRow

TOKEN_TABLE = FeedTokenRow.__table__  # type: ignore[attr-defined]
EVENT_TABLE = FeedEventRow.__table__  # type: ignore[attr-defined]
TOKEN_BYTES = 24  # 192 bits, 32 URL-safe characters


@dataclass(frozen=True, slots=True)
class FeedToken:
    subject: str  # org code or member id
    token: str
    created: dt.datetime
    revoked: dt.datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked is None


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


class FeedStore:
    """Tokens and stamps of calendar feeds, on the store's engine."""

    def __init__(self, store: Store) -> None:
        self.engine = store.engine

    # --- tokens ---------------------------------------------------------------------------

    def token(self, subject: str, *, now: dt.datetime) -> FeedToken:
        """The active token of ``subject``'s feed, issuing one on first use."""
        with self.engine.begin() as conn:
            current = self._active(conn, subject)
            if current is not None:
                return current
            return self._issue(conn, subject, now)

    def rotate(self, subject: str, *, now: dt.datetime) -> FeedToken:
        """Revoke ``subject``'s token (if any) and issue a new one: old links stop working."""
        with self.engine.begin() as conn:
            self._revoke(conn, subject, now)
            return self._issue(conn, subject, now)

    def revoke(self, subject: str, *, now: dt.datetime) -> bool:
        """Revoke ``subject``'s token; False when it had none."""
        with self.engine.begin() as conn:
            return self._revoke(conn, subject, now) > 0

    def subject_for(self, token: str) -> str | None:
        """The subject whose active token ``token`` is, or None (unknown or revoked)."""
        if not token or len(token) > 64:
            return None
        query = select(TOKEN_TABLE.c.subject).where(
            and_(TOKEN_TABLE.c.token == token, TOKEN_TABLE.c.revoked.is_(None))
        )
        with self.engine.connect() as conn:
            subject = conn.execute(query).scalar()
        return None if subject is None else str(subject)

    def tokens(self, *, include_revoked: bool = False) -> list[FeedToken]:
        query = select(TOKEN_TABLE).order_by(TOKEN_TABLE.c.subject, TOKEN_TABLE.c.created)
        if not include_revoked:
            query = query.where(TOKEN_TABLE.c.revoked.is_(None))
        with self.engine.connect() as conn:
            return [_token(r) for r in conn.execute(query)]

    def _active(self, conn: Connection, subject: str) -> FeedToken | None:
        query = select(TOKEN_TABLE).where(
            and_(TOKEN_TABLE.c.subject == subject, TOKEN_TABLE.c.revoked.is_(None))
        )
        row = conn.execute(query.order_by(TOKEN_TABLE.c.created.desc())).first()
        return None if row is None else _token(row)

    def _issue(self, conn: Connection, subject: str, now: dt.datetime) -> FeedToken:
        token = FeedToken(subject, new_token(), _utc(now))
        conn.execute(
            TOKEN_TABLE.insert().values(token=token.token, subject=subject, created=token.created)
        )
        return token

    def _revoke(self, conn: Connection, subject: str, now: dt.datetime) -> int:
        statement = (
            update(TOKEN_TABLE)
            .where(and_(TOKEN_TABLE.c.subject == subject, TOKEN_TABLE.c.revoked.is_(None)))
            .values(revoked=_utc(now))
        )
        return conn.execute(statement).rowcount

    # --- event stamps ---------------------------------------------------------------------

    def stamps(self, feed: str) -> dict[str, EventStamp]:
        query = select(EVENT_TABLE).where(EVENT_TABLE.c.feed == feed)
        with self.engine.connect() as conn:
            return {
                r.uid: EventStamp(r.digest, int(r.sequence), aware(r.modified))
                for r in conn.execute(query)
            }

    def save_stamps(self, feed: str, stamps: Mapping[str, EventStamp]) -> None:
        """Store new and changed stamps; a stamp never replaces one with a higher SEQUENCE,
        so two replicas rebuilding the same feed at once cannot move it backwards."""
        if not stamps:
            return
        rows: list[dict[str, Any]] = [
            {
                "feed": feed,
                "uid": uid,
                "digest": s.digest,
                "sequence": s.sequence,
                "modified": s.modified,
            }
            for uid, s in stamps.items()
        ]
        with self.engine.begin() as conn:
            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            statement = dialect.insert(EVENT_TABLE)
            statement = statement.on_conflict_do_update(
                index_elements=["feed", "uid"],
                set_={
                    "digest": statement.excluded.digest,
                    "sequence": statement.excluded.sequence,
                    "modified": statement.excluded.modified,
                },
                where=EVENT_TABLE.c.sequence < statement.excluded.sequence,
            )
            for start in range(0, len(rows), 1000):
                conn.execute(statement, rows[start : start + 1000])


def _utc(moment: dt.datetime) -> dt.datetime:
    """Feed stamps are whole seconds (DTSTAMP and LAST-MODIFIED have no fractions)."""
    return utc(moment).replace(microsecond=0)


def _token(row: Any) -> FeedToken:
    revoked = None if row.revoked is None else aware(row.revoked)
    return FeedToken(str(row.subject), str(row.token), aware(row.created), revoked)
