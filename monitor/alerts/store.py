"""The store's side of alerts: linked chats, link codes, finding states and the outbox.

Delivery is at least once and, short of a crash between Telegram accepting a message and the
commit that marks it sent, exactly once per chat: a dispatcher *claims* pending rows (a lease,
with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL so replicas never claim the same row; SQLite has
one writer), sends, then marks them sent. A claim whose dispatcher died expires and is taken
again.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from monitor.alerts.channels.style import Rate
from monitor.alerts.escalation import settled_prefixes
from monitor.alerts.plan import (
    AlertPlan,
    Chat,
    ChatRole,
    FindingKey,
    FindingState,
    NoticeKind,
    Platform,
    address_of,
)
from monitor.core.errors import OrglifeError, UnknownOrgError
from monitor.ledger.model import LedgerItem, LedgerStatus
from monitor.store import Store
from monitor.store.audit import record_event
from monitor.store.moments import aware, utc
from monitor.store.tables import (
    ChatRow,
    DeliveryRow,
    FindingStateRow,
    LinkCodeRow,
    MemberRow,
    OrgRow,
    OutboxRow,
    RobotRow,
    RobotSendRow,
    TelegramUserRow,
)

CHAT = ChatRow.__table__  # type: ignore[attr-defined]
CODE = LinkCodeRow.__table__  # type: ignore[attr-defined]
USER = TelegramUserRow.__table__  # type: ignore[attr-defined]
STATE = FindingStateRow.__table__  # type: ignore[attr-defined]
OUTBOX = OutboxRow.__table__  # type: ignore[attr-defined]
DELIVERY = DeliveryRow.__table__  # type: ignore[attr-defined]
ORG = OrgRow.__table__  # type: ignore[attr-defined]
MEMBER = MemberRow.__table__  # type: ignore[attr-defined]
ROBOT = RobotRow.__table__  # type: ignore[attr-defined]
SEND = RobotSendRow.__table__  # type: ignore[attr-defined]

# The last error of a pending row dropped because its ledger item moved on (三色预警).
SETTLED_REASONS = {
    LedgerStatus.CLEARED: "已销号",
    LedgerStatus.RECTIFYING: "已登记整改",
}
CODE_TTL = dt.timedelta(minutes=10)
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed by hand
_CHUNK = 500


class LinkError(OrglifeError):
    """A link code that does not exist, was used, or expired."""


@dataclass(frozen=True, slots=True)
class Pending:
    """A claimed outbox row, with its chat."""

    id: int
    key: str
    kind: NoticeKind
    line: str
    chat: Chat
    attempts: int  # including this one
    document: bytes | None = None  # a report's file, sent as a document
    filename: str | None = None


@dataclass(frozen=True, slots=True)
class Linked:
    """What redeeming a code did: a chat linked to an org, or a user linked to a member."""

    kind: str  # "chat" or "member"
    org: str | None = None
    role: ChatRole | None = None
    member: str | None = None
    chat: Chat | None = None


class AlertStore:
    """Chats, codes, states and the outbox, on the store's engine."""

    def __init__(self, store: Store) -> None:
        self.engine = store.engine

    # --- chats ----------------------------------------------------------------------------

    def add_chat(
        self,
        org: str,
        chat_id: int | None,
        role: ChatRole,
        *,
        now: dt.datetime,
        show_names: bool = False,
        platform: Platform = Platform.TELEGRAM,
        webhook: str | None = None,
        secret: str | None = None,
        actor: str | None = None,
    ) -> Chat:
        """Link a chat to ``org`` with ``role``: a Telegram ``chat_id``, or a robot's
        ``webhook`` (and signing ``secret``). Linking again re-enables the chat and takes the
        new secret. With ``actor``, the audit trail records who linked it (the webhook
        redacted, never the secret)."""
        with self.engine.begin() as conn:
            before: list[Any] = list(
                conn.execute(select(CHAT.c.id).where(CHAT.c.org == org)).scalars()
            )
            known = {int(i) for i in before}
            chat = self._add_chat(
                conn, org, chat_id, role, now, show_names, platform, webhook, secret
            )
            if actor is not None:
                record_event(
                    conn,
                    at=now,
                    actor=actor,
                    entity="chat",
                    entity_id=chat.id,
                    action="linked again" if chat.id in known else "created",
                    changes={
                        "org": [None, chat.org],
                        "role": [None, chat.role.value],
                        "channel": [None, chat.platform.value],
                        "where": [None, chat.redacted],
                        "signed": [None, chat.secret is not None],
                        "show_names": [None, chat.show_names],
                    },
                )
            return chat

    def _add_chat(
        self,
        conn: Connection,
        org: str,
        chat_id: int | None,
        role: ChatRole,
        now: dt.datetime,
        show_names: bool,
        platform: Platform = Platform.TELEGRAM,
        webhook: str | None = None,
        secret: str | None = None,
    ) -> Chat:
        if conn.execute(select(ORG.c.code).where(ORG.c.code == org)).first() is None:
            raise UnknownOrgError(org)
        if platform is not Platform.TELEGRAM:
            chat_id = None
            webhook = (webhook or "").strip()
            secret = (secret or "").strip() or None
        else:
            webhook = secret = None
        address = address_of(platform, chat_id, webhook)
        found = conn.execute(
            select(CHAT.c.id).where(
                and_(CHAT.c.address == address, CHAT.c.org == org, CHAT.c.role == role.value)
            )
        ).first()
        if found is None:
            row_id: int = conn.execute(
                insert(CHAT)
                .values(
                    chat_id=chat_id,
                    platform=platform.value,
                    address=address,
                    webhook=webhook,
                    secret=secret,
                    org=org,
                    role=role.value,
                    show_names=show_names,
                    created=utc(now),
                )
                .returning(CHAT.c.id)
            ).scalar_one()
        else:
            row_id = found.id
            conn.execute(
                update(CHAT)
                .where(CHAT.c.id == row_id)
                .values(
                    disabled=None,
                    disabled_reason=None,
                    show_names=show_names,
                    webhook=webhook,
                    secret=secret,
                )
            )
        row = conn.execute(select(CHAT).where(CHAT.c.id == row_id)).one()
        return _chat(row)

    def chats(self, *, chat_id: int | None = None, id: int | None = None) -> list[Chat]:
        """Linked chats (with a Telegram ``chat_id``, or the row ``id``), by org and role."""
        query = select(CHAT).order_by(CHAT.c.org, CHAT.c.role, CHAT.c.id)
        if chat_id is not None:
            query = query.where(CHAT.c.chat_id == chat_id)
        if id is not None:
            query = query.where(CHAT.c.id == id)
        with self.engine.connect() as conn:
            return [_chat(r) for r in conn.execute(query)]

    def disable_chat(
        self, where: str | int, reason: str, *, now: dt.datetime, actor: str | None = None
    ) -> int:
        """Stop sending to a destination (an address, or a Telegram chat id): bot removed,
        webhook invalid, wrong secret. Its pending rows stay and go out if the chat is linked
        again (`orglife chats add` re-enables it). With ``actor``, the audit trail records who
        disabled each chat of the destination."""
        address = where if isinstance(where, str) else f"telegram:{where}"
        live = and_(CHAT.c.address == address, CHAT.c.disabled.is_(None))
        statement = update(CHAT).where(live).values(disabled=utc(now), disabled_reason=reason[:500])
        with self.engine.begin() as conn:
            found: list[Any] = list(conn.execute(select(CHAT.c.id).where(live)).scalars())
            ids = [int(i) for i in found]
            changed = int(conn.execute(statement).rowcount)
            if actor is not None:
                for chat_id in ids:
                    record_event(
                        conn,
                        at=now,
                        actor=actor,
                        entity="chat",
                        entity_id=chat_id,
                        action="disabled",
                        reason=reason[:500],
                        changes={"disabled": [False, True]},
                    )
            return changed

    def migrate_chat(self, old: int, new: int) -> int:
        """Telegram turned a group into a supergroup: the same chat, a new id."""
        with self.engine.begin() as conn:
            return int(
                conn.execute(
                    update(CHAT)
                    .where(CHAT.c.address == f"telegram:{old}")
                    .values(chat_id=new, address=f"telegram:{new}")
                ).rowcount
            )

    # --- the shared rate limit of each destination ------------------------------------------

    def reserve(self, address: str, *, now: dt.datetime, rates: Sequence[Rate]) -> float:
        """Take a send slot on ``address`` now, or say how many seconds until one is free.

        The slots live in the database, so every replica sees the same count: a robot's
        20 messages a minute are 20 across the province, not 20 per process. Returns 0.0 when
        the slot was taken.
        """
        now = utc(now)
        longest = max((r.seconds for r in rates), default=60.0)
        with self.engine.begin() as conn:
            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            conn.execute(dialect.insert(ROBOT).values(address=address).on_conflict_do_nothing())
            lock = select(ROBOT.c.blocked_until).where(ROBOT.c.address == address)
            if conn.dialect.name == "postgresql":
                lock = lock.with_for_update()  # one replica counts and takes a slot at a time
            blocked = conn.execute(lock).scalar_one_or_none()
            if blocked is not None and aware(blocked) > now:
                return max((aware(blocked) - now).total_seconds(), 0.001)
            conn.execute(
                delete(SEND).where(
                    and_(
                        SEND.c.address == address,
                        SEND.c.at <= now - dt.timedelta(seconds=longest),
                    )
                )
            )
            taken: list[Any] = list(
                conn.execute(select(SEND.c.at).where(SEND.c.address == address)).scalars()
            )
            recent = sorted(aware(at) for at in taken)
            wait = 0.0
            for rate in rates:
                inside = [at for at in recent if at > now - dt.timedelta(seconds=rate.seconds)]
                if len(inside) >= rate.messages:
                    oldest = inside[len(inside) - rate.messages]
                    free = oldest + dt.timedelta(seconds=rate.seconds)
                    wait = max(wait, (free - now).total_seconds(), 0.001)
            if wait > 0:
                return wait
            conn.execute(insert(SEND).values(address=address, at=now))
        return 0.0

    def block(self, address: str, until: dt.datetime) -> None:
        """Nothing goes to ``address`` before ``until`` (the platform throttled the robot)."""
        with self.engine.begin() as conn:
            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            statement = dialect.insert(ROBOT).values(address=address, blocked_until=utc(until))
            conn.execute(
                statement.on_conflict_do_update(
                    index_elements=["address"],
                    set_={"blocked_until": statement.excluded.blocked_until},
                )
            )

    # --- one-time codes -------------------------------------------------------------------

    def issue_code(
        self,
        *,
        now: dt.datetime,
        org: str | None = None,
        role: ChatRole | None = None,
        member: str | None = None,
        ttl: dt.timedelta = CODE_TTL,
    ) -> str:
        """A code for `/link CODE`: links a chat to ``org`` as ``role``, or a user to ``member``."""
        if (org is None) == (member is None):
            raise ValueError("a code links either a chat to an org or a user to a member")
        with self.engine.begin() as conn:
            if org is not None:
                if role is None:
                    raise ValueError("a chat code needs a role")
                if conn.execute(select(ORG.c.code).where(ORG.c.code == org)).first() is None:
                    raise UnknownOrgError(org)
            elif conn.execute(select(MEMBER.c.id).where(MEMBER.c.id == member)).first() is None:
                raise OrglifeError(
                    f"党员台账中没有编号为“{member}”的党员，请先用 orglife import members 导入党员"
                )
            code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))
            conn.execute(
                insert(CODE).values(
                    code=code,
                    kind="chat" if org is not None else "member",
                    org=org,
                    role=role.value if role is not None else None,
                    member=member,
                    expires=utc(now + ttl),
                )
            )
        return code

    def redeem(
        self, code: str, *, now: dt.datetime, chat_id: int | None = None, user_id: int | None = None
    ) -> Linked:
        """Use a code once: link the chat (``chat_id``) or the user (``user_id``)."""
        code = code.strip().upper()
        with self.engine.begin() as conn:
            row = conn.execute(select(CODE).where(CODE.c.code == code)).first()
            if row is None:
                raise LinkError("未找到该绑定码，请核对后重试。")
            if row.used is not None:
                raise LinkError("该绑定码已使用过，请重新生成。")
            if aware(row.expires) < now:
                raise LinkError("该绑定码已过期（有效期10分钟），请重新生成。")
            # Claim the code first: a second redemption racing this one updates no row.
            claimed = conn.execute(
                update(CODE)
                .where(and_(CODE.c.code == code, CODE.c.used.is_(None)))
                .values(used=utc(now))
            ).rowcount
            if claimed != 1:
                raise LinkError("该绑定码已使用过，请重新生成。")
            if row.kind == "chat":
                if chat_id is None:
                    raise LinkError("请在要绑定的群聊中发送此绑定码。")
                role = ChatRole(row.role)
                chat = self._add_chat(conn, row.org, chat_id, role, now, False)
                return Linked("chat", org=row.org, role=role, chat=chat)
            if user_id is None:
                raise LinkError("请在与机器人的私聊中发送此绑定码。")
            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            statement = dialect.insert(USER).values(
                user_id=user_id, member=row.member, linked=utc(now)
            )
            conn.execute(
                statement.on_conflict_do_update(
                    index_elements=["user_id"],
                    set_={"member": statement.excluded.member, "linked": statement.excluded.linked},
                )
            )
            return Linked("member", member=row.member)

    def member_of(self, user_id: int) -> str | None:
        """The member id a Telegram user is linked to."""
        with self.engine.connect() as conn:
            member = conn.execute(select(USER.c.member).where(USER.c.user_id == user_id)).scalar()
        return None if member is None else str(member)

    # --- the evaluation cycle -------------------------------------------------------------

    def states(self) -> dict[FindingKey, FindingState]:
        with self.engine.connect() as conn:
            return {
                FindingKey(r.org, r.member, r.rule, r.period): FindingState(r.state)
                for r in conn.execute(select(STATE))
            }

    def states_of(self, keys: Iterable[FindingKey]) -> dict[FindingKey, FindingState]:
        """:meth:`states` of ``keys`` only (read by their orgs, a chunk at a time)."""
        wanted = set(keys)
        orgs = sorted({k.org for k in wanted})
        found: dict[FindingKey, FindingState] = {}
        with self.engine.connect() as conn:
            for start in range(0, len(orgs), _CHUNK):
                query = select(STATE).where(STATE.c.org.in_(orgs[start : start + _CHUNK]))
                for r in conn.execute(query):
                    key = FindingKey(r.org, r.member, r.rule, r.period)
                    if key in wanted:
                        found[key] = FindingState(r.state)
        return found

    def recipients(self, keys: Iterable[FindingKey]) -> dict[FindingKey, frozenset[int]]:
        """The chats each finding's miss was enqueued for."""
        by_key = {f"missed:{k.token}": k for k in keys}
        found: dict[FindingKey, set[int]] = {}
        with self.engine.connect() as conn:
            names = sorted(by_key)
            for start in range(0, len(names), _CHUNK):
                query = select(OUTBOX.c.key, OUTBOX.c.chat).where(
                    OUTBOX.c.key.in_(names[start : start + _CHUNK])
                )
                rows: list[Any] = list(conn.execute(query))
                for key, chat in rows:
                    found.setdefault(by_key[str(key)], set()).add(int(chat))
        return {k: frozenset(v) for k, v in found.items()}

    def record(
        self, plan: AlertPlan, *, now: dt.datetime, welcomed: Iterable[int] = ()
    ) -> Counter[NoticeKind]:
        """Record the plan's finding states and enqueue its notices in one transaction; the
        chats in ``welcomed`` (row ids) have had their first digest with it.

        Returns the new outbox rows by kind; a notice already in the outbox for its chat is
        skipped.
        """
        now = utc(now)
        with self.engine.begin() as conn:
            fresh = sorted(set(welcomed))
            if fresh:
                conn.execute(
                    update(CHAT)
                    .where(and_(CHAT.c.id.in_(fresh), CHAT.c.welcomed.is_(None)))
                    .values(welcomed=now)
                )
            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            if plan.states:
                statement = dialect.insert(STATE)
                statement = statement.on_conflict_do_update(
                    index_elements=["org", "member", "rule", "period"],
                    set_={"state": statement.excluded.state, "changed": statement.excluded.changed},
                )
                rows = [
                    {
                        "org": k.org,
                        "member": k.member,
                        "rule": k.rule,
                        "period": k.period,
                        "state": state.value,
                        "changed": now,
                    }
                    for k, state in plan.states.items()
                ]
                for start in range(0, len(rows), _CHUNK):
                    conn.execute(statement, rows[start : start + _CHUNK])
            added: Counter[NoticeKind] = Counter()
            if plan.notices:
                statement = (
                    dialect.insert(OUTBOX)
                    .on_conflict_do_nothing(index_elements=["key", "chat"])
                    .returning(OUTBOX.c.kind)
                )
                notices: list[dict[str, Any]] = [
                    {
                        "key": n.key,
                        "chat": n.chat,
                        "kind": n.kind.value,
                        "line": n.line,
                        "document": n.document,
                        "filename": n.filename,
                        "state": "pending",
                        "created": now,
                        "available": now,
                        "attempts": 0,
                    }
                    for n in plan.notices
                ]
                for start in range(0, len(notices), _CHUNK):
                    result = conn.execute(statement, notices[start : start + _CHUNK])
                    kinds: list[Any] = list(result.scalars())
                    added.update(NoticeKind(kind) for kind in kinds)
        return added

    def enqueued(self, key: str) -> set[int]:
        """The chat rows that already have a notice with ``key`` (sent or not)."""
        with self.engine.connect() as conn:
            rows: list[Any] = list(conn.execute(select(OUTBOX.c.chat).where(OUTBOX.c.key == key)))
        return {int(r.chat) for r in rows}

    # --- the outbox -----------------------------------------------------------------------

    def claim(
        self, worker: str, *, now: dt.datetime, lease: dt.timedelta, limit: int = 500
    ) -> list[Pending]:
        """Take up to ``limit`` rows that are due, for ``lease``; oldest first."""
        now = utc(now)
        enabled = select(CHAT.c.id).where(CHAT.c.disabled.is_(None))
        due = (
            select(OUTBOX.c.id)
            .where(
                and_(
                    OUTBOX.c.chat.in_(enabled),
                    OUTBOX.c.state == "pending",
                    OUTBOX.c.available <= now,
                    or_(OUTBOX.c.claimed_until.is_(None), OUTBOX.c.claimed_until < now),
                )
            )
            .order_by(OUTBOX.c.id)
            .limit(limit)
        )
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                due = due.with_for_update(skip_locked=True)
            found: list[Any] = list(conn.execute(due).scalars())
            ids = [int(r) for r in found]
            if not ids:
                return []
            conn.execute(
                update(OUTBOX)
                .where(OUTBOX.c.id.in_(ids))
                .values(
                    claimed_by=worker, claimed_until=now + lease, attempts=OUTBOX.c.attempts + 1
                )
            )
            claimed: list[Any] = list(
                conn.execute(
                    select(OUTBOX, CHAT)
                    .join(CHAT, CHAT.c.id == OUTBOX.c.chat)
                    .where(OUTBOX.c.id.in_(ids))
                    .order_by(OUTBOX.c.id)
                )
            )
        return [_pending(r) for r in claimed]

    def mark_sent(
        self, ids: Sequence[int], *, worker: str, now: dt.datetime, message_id: int | None
    ) -> None:
        self._finish(ids, worker, now, "sent", {"state": "sent", "sent": utc(now)}, message_id)

    def mark_retry(
        self,
        ids: Sequence[int],
        *,
        worker: str,
        now: dt.datetime,
        available: dt.datetime,
        error: str,
    ) -> None:
        values = {"available": utc(available), "last_error": error[:2000]}
        self._finish(ids, worker, now, "retry", values, None, detail=error)

    def mark_dropped(
        self, ids: Sequence[int], *, worker: str, now: dt.datetime, reason: str
    ) -> None:
        values = {"state": "dropped", "last_error": reason[:2000]}
        self._finish(ids, worker, now, "dropped", values, None, detail=reason)

    def release(self, ids: Sequence[int], *, worker: str) -> None:
        """Give back claimed rows untouched (stopping before sending them)."""
        if not ids:
            return
        with self.engine.begin() as conn:
            conn.execute(
                update(OUTBOX)
                .where(and_(OUTBOX.c.id.in_(list(ids)), OUTBOX.c.claimed_by == worker))
                .values(claimed_by=None, claimed_until=None, attempts=OUTBOX.c.attempts - 1)
            )

    def _finish(
        self,
        ids: Sequence[int],
        worker: str,
        now: dt.datetime,
        outcome: str,
        values: Mapping[str, Any],
        message_id: int | None,
        *,
        detail: str | None = None,
    ) -> None:
        if not ids:
            return
        values = {**values, "claimed_by": None, "claimed_until": None}
        if message_id is not None:
            values["message_id"] = message_id
        with self.engine.begin() as conn:
            conn.execute(update(OUTBOX).where(OUTBOX.c.id.in_(list(ids))).values(**values))
            conn.execute(
                insert(DELIVERY),
                [
                    {
                        "outbox": i,
                        "at": utc(now),
                        "worker": worker,
                        "outcome": outcome,
                        "detail": detail,
                    }
                    for i in ids
                ],
            )

    def outbox(self, *, state: str | None = None) -> list[dict[str, Any]]:
        """Outbox rows as dicts (for `orglife alerts list` and tests)."""
        query = select(OUTBOX, CHAT.c.chat_id).join(CHAT, CHAT.c.id == OUTBOX.c.chat)
        if state is not None:
            query = query.where(OUTBOX.c.state == state)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query.order_by(OUTBOX.c.id))]

    def deliveries(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [
                dict(r._mapping) for r in conn.execute(select(DELIVERY).order_by(DELIVERY.c.id))
            ]

    # --- escalation (三色预警): rows no longer to be sent -------------------------------------

    def cancel(self, prefixes: Iterable[str], *, reason: str, now: dt.datetime) -> int:
        """Drop the pending rows whose key starts with one of ``prefixes`` (each a whole key or a
        key's start up to a ``:``, e.g. ``repeat:12:``, the repeats of ledger item 12), with
        ``reason`` as their last error and a delivery record each; rows a dispatcher holds right
        now are left to it. Returns how many were dropped."""
        wanted = set(prefixes)
        if not wanted:
            return 0
        now = utc(now)
        free = and_(
            OUTBOX.c.state == "pending",
            or_(OUTBOX.c.claimed_until.is_(None), OUTBOX.c.claimed_until < now),
        )
        # Read only the rows whose key starts like one of the prefixes (up to its first ":").
        heads = sorted({p.split(":", 1)[0] + (":" if ":" in p else "") for p in wanted})
        with self.engine.begin() as conn:
            query = select(OUTBOX.c.id, OUTBOX.c.key).where(
                and_(free, or_(*(OUTBOX.c.key.startswith(h, autoescape=True) for h in heads)))
            )
            if conn.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            rows: list[Any] = list(conn.execute(query))
            ids = sorted(int(r.id) for r in rows if _starts_with_one(str(r.key), wanted))
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                conn.execute(
                    update(OUTBOX)
                    .where(and_(OUTBOX.c.id.in_(chunk), free))
                    .values(state="dropped", last_error=reason[:2000])
                )
                conn.execute(
                    insert(DELIVERY),
                    [
                        {
                            "outbox": i,
                            "at": now,
                            "worker": "ledger",
                            "outcome": "dropped",
                            "detail": reason,
                        }
                        for i in chunk
                    ],
                )
        return len(ids)


def drop_settled(store: Store, items: Iterable[LedgerItem], *, now: dt.datetime) -> int:
    """Drop the pending repeat and red rows of ``items`` that are rectifying or cleared (the
    reason says which); how many were dropped. Called after every rectification and clearing
    (the CLI, the API) and by each cycle of the service."""
    dropped = 0
    for status, prefixes in settled_prefixes(items).items():
        dropped += AlertStore(store).cancel(prefixes, reason=SETTLED_REASONS[status], now=now)
    return dropped


def _starts_with_one(key: str, prefixes: set[str]) -> bool:
    """Whether ``key`` is in ``prefixes`` or starts with one of them that ends at a ``:``."""
    colon = key.find(":")
    while colon != -1:
        if key[: colon + 1] in prefixes:
            return True
        colon = key.find(":", colon + 1)
    return key in prefixes


def _chat(row: Any) -> Chat:
    return _chat_of(row._mapping, CHAT.c)


def _chat_of(m: Any, c: Any) -> Chat:
    """A :class:`Chat` from a row mapping ``m`` whose chat columns are ``c``."""
    return Chat(
        id=int(m[c.id]),
        chat_id=None if m[c.chat_id] is None else int(m[c.chat_id]),
        org=str(m[c.org]),
        role=ChatRole(m[c.role]),
        enabled=m[c.disabled] is None,
        show_names=bool(m[c.show_names]),
        disabled_reason=m[c.disabled_reason],
        platform=Platform(m[c.platform]),
        webhook=m[c.webhook],
        secret=m[c.secret],
        address=str(m[c.address]),
        welcomed=m[c.welcomed] is not None,
    )


def _pending(row: Any) -> Pending:
    m = row._mapping
    return Pending(
        id=int(m[OUTBOX.c.id]),
        key=str(m[OUTBOX.c.key]),
        kind=NoticeKind(m[OUTBOX.c.kind]),
        line=str(m[OUTBOX.c.line]),
        chat=_chat_of(m, CHAT.c),
        attempts=int(m[OUTBOX.c.attempts]),
        document=None if m[OUTBOX.c.document] is None else bytes(m[OUTBOX.c.document]),
        filename=m[OUTBOX.c.filename],
    )
