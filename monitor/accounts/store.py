"""Users, API tokens, web sessions and failed sign-ins, in SQL.

Secrets are never stored in clear: passwords as Argon2 hashes, tokens and session cookies as
SHA-256 digests (they are 256-bit random values, so a fast digest suffices and lookups stay
indexed). A token's value is returned once, by :meth:`AccountStore.create_token`.

Sign-in is throttled in the database, so replicas share the count: more than
:data:`MAX_FAILURES_PER_USER` failures for one username, or :data:`MAX_FAILURES_PER_ADDRESS`
from one address, within :data:`THROTTLE_WINDOW` refuse further attempts (even correct ones)
until the window has moved on.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from monitor.accounts.model import EVERYTHING, Role, Scope, Token, User
from monitor.accounts.passwords import MIN_LENGTH, dummy_hash, hash_password, verify_password
from monitor.core.domain import OrgType
from monitor.core.errors import OrglifeError, UnknownOrgError
from monitor.store import ORG_TABLE, Store
from monitor.store.audit import record_event
from monitor.store.moments import aware, utc
from monitor.store.tables import ApiTokenRow, LoginAttemptRow, UserRow, WebSessionRow

USER = UserRow.__table__  # type: ignore[attr-defined]
TOKEN = ApiTokenRow.__table__  # type: ignore[attr-defined]
SESSION = WebSessionRow.__table__  # type: ignore[attr-defined]
ATTEMPT = LoginAttemptRow.__table__  # type: ignore[attr-defined]

TOKEN_PREFIX = "olt_"
SESSION_TTL = dt.timedelta(hours=12)
THROTTLE_WINDOW = dt.timedelta(minutes=15)
MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_ADDRESS = 20


class AccountError(OrglifeError):
    """A user or token that cannot be made or changed as asked (the message says why)."""


class SignInRefused(OrglifeError):
    """Wrong username or password (the message never says which)."""


class SignInThrottled(OrglifeError):
    """Too many failed sign-ins; ``retry_after`` seconds until the next may be tried."""

    def __init__(self, retry_after: int) -> None:
        minutes = max(1, (retry_after + 59) // 60)
        super().__init__(f"登录失败次数过多，请{minutes}分钟后再试。")
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Session:
    """A signed-in browser: its user, when it ends, and the CSRF token its forms carry."""

    user: User
    expires: dt.datetime
    csrf: str


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class AccountStore:
    """Accounts on the store's engine."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine

    # --- users ----------------------------------------------------------------------------

    def add_user(
        self,
        username: str,
        password: str,
        role: Role,
        org: str | None,
        *,
        now: dt.datetime,
        actor: str | None = None,
    ) -> User:
        """A new account; ``org`` is required except for an admin (whose scope is everything).
        With ``actor``, the audit trail records who added it (never the password)."""
        username = _username(username)
        _check_password(password)
        if role is Role.ADMIN:
            org = None
        elif not org:
            raise AccountError(f"角色“{role.label}”（{role.value}）需要用 --org 指定所属组织。")
        with self.engine.begin() as conn:
            if org is not None:
                _org_type(conn, org)
            try:
                conn.execute(
                    insert(USER).values(
                        username=username,
                        password_hash=hash_password(password),
                        role=role.value,
                        org=org,
                        created=utc(now),
                    )
                )
            except IntegrityError:
                raise AccountError(f"用户名“{username}”已存在，请换一个。") from None
            if actor is not None:
                record_event(
                    conn,
                    at=now,
                    actor=actor,
                    entity="user",
                    entity_id=username,
                    action="created",
                    changes={"role": [None, role.value], "org": [None, org]},
                )
        return self.user(username)

    def user(self, username: str) -> User:
        found = self._user(select(USER).where(USER.c.username == username))
        if found is None:
            raise AccountError(f"没有用户名为“{username}”的用户，请用 orglife users list 查看。")
        return found

    def user_by_id(self, user_id: int) -> User | None:
        return self._user(select(USER).where(USER.c.id == user_id))

    def _user(self, query: Any) -> User | None:
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else _user(row)

    def users(self) -> list[User]:
        with self.engine.connect() as conn:
            return [_user(r) for r in conn.execute(select(USER).order_by(USER.c.username))]

    def disable(self, username: str, *, now: dt.datetime, actor: str | None = None) -> User:
        """Disable an account: its sessions end and its tokens stop working. With ``actor``,
        the audit trail records who did (when it was not disabled already)."""
        user = self.user(username)
        with self.engine.begin() as conn:
            changed = conn.execute(
                update(USER)
                .where(and_(USER.c.id == user.id, USER.c.disabled.is_(None)))
                .values(disabled=utc(now))
            ).rowcount
            conn.execute(delete(SESSION).where(SESSION.c.user_id == user.id))
            if actor is not None and changed:
                record_event(
                    conn,
                    at=now,
                    actor=actor,
                    entity="user",
                    entity_id=user.username,
                    action="disabled",
                    changes={"disabled": [False, True]},
                )
        return self.user(username)

    def set_password(
        self,
        username: str,
        password: str,
        *,
        actor: str | None = None,
        now: dt.datetime | None = None,
        keep: str | None = None,
    ) -> User:
        """A new password; the user's sessions end (tokens stay: programs are not people),
        except the session of the cookie ``keep`` (the browser that changed it). With ``actor``
        (and ``now``), the audit trail records who set it (never the password)."""
        user = self.user(username)
        _check_password(password)
        ended = SESSION.c.user_id == user.id
        if keep is not None:
            ended = and_(ended, SESSION.c.digest != digest(keep))
        with self.engine.begin() as conn:
            conn.execute(
                update(USER)
                .where(USER.c.id == user.id)
                .values(password_hash=hash_password(password))
            )
            conn.execute(delete(SESSION).where(ended))
            if actor is not None:
                if now is None:
                    raise ValueError("recording who set a password needs the time (now=)")
                record_event(
                    conn,
                    at=now,
                    actor=actor,
                    entity="user",
                    entity_id=user.username,
                    action="password_set",
                )
        return user

    def change_password(
        self,
        user: User,
        current: str,
        new: str,
        *,
        address: str,
        now: dt.datetime,
        keep: str | None = None,
    ) -> User:
        """The user's own change: ``current`` is checked as a sign-in is (a wrong one counts
        towards the throttle: :class:`SignInRefused`, :class:`SignInThrottled`), ``new`` as any
        password (:class:`AccountError`); their other sessions end, ``keep``'s stays."""
        _check_password(new)
        self.authenticate(user.username, current, address=address, now=now)
        return self.set_password(
            user.username, new, actor=f"user:{user.username}", now=now, keep=keep
        )

    def scope(self, user: User) -> Scope:
        """The orgs ``user`` works in: an admin everything; a secretary the branch and its
        party groups; an inspector or a viewer the org's whole subtree."""
        if user.role is Role.ADMIN:
            return EVERYTHING
        if user.org is None:
            return Scope(False)
        if user.role is Role.SECRETARY:
            query = select(ORG_TABLE.c.code).where(
                (ORG_TABLE.c.code == user.org)
                | ((ORG_TABLE.c.parent == user.org) & (ORG_TABLE.c.type == OrgType.GROUP.value))
            )
            with self.engine.connect() as conn:
                codes: list[Any] = list(conn.execute(query).scalars())
            return Scope(False, frozenset(str(c) for c in codes))
        try:
            return Scope(False, frozenset(self.store.subtree(user.org)))
        except UnknownOrgError:
            return Scope(False)

    # --- signing in -----------------------------------------------------------------------

    def authenticate(self, username: str, password: str, *, address: str, now: dt.datetime) -> User:
        """The user with this username and password, or :class:`SignInRefused`; throttled per
        username and per address (:class:`SignInThrottled`)."""
        now = utc(now)
        username = username.strip()[:64]
        address = address[:64]
        wait = self._throttled(username, address, now)
        if wait:
            raise SignInThrottled(wait)
        with self.engine.connect() as conn:
            row = conn.execute(select(USER).where(USER.c.username == username)).first()
        if row is None:
            verify_password(password, dummy_hash())  # the same time as a wrong password
            ok = False
        else:
            ok = verify_password(password, row.password_hash) and row.disabled is None
        if not ok:
            with self.engine.begin() as conn:
                conn.execute(insert(ATTEMPT).values(username=username, address=address, at=now))
                conn.execute(delete(ATTEMPT).where(ATTEMPT.c.at < now - THROTTLE_WINDOW))
            raise SignInRefused("用户名或密码不正确，或账号已停用。")
        assert row is not None
        return _user(row)

    def _throttled(self, username: str, address: str, now: dt.datetime) -> int:
        """Seconds until another attempt may be made (0: now)."""
        since = now - THROTTLE_WINDOW
        waits = [0]
        with self.engine.connect() as conn:
            for column, value, limit in (
                (ATTEMPT.c.username, username, MAX_FAILURES_PER_USER),
                (ATTEMPT.c.address, address, MAX_FAILURES_PER_ADDRESS),
            ):
                row: Any = conn.execute(
                    select(func.count(), func.min(ATTEMPT.c.at)).where(
                        and_(column == value, ATTEMPT.c.at >= since)
                    )
                ).one()
                count, oldest = int(row[0]), row[1]
                if count >= limit and oldest is not None:
                    free = aware(oldest) + THROTTLE_WINDOW
                    waits.append(max(1, int((free - now).total_seconds()) + 1))
        return max(waits)

    # --- sessions -------------------------------------------------------------------------

    def start_session(self, user: User, *, now: dt.datetime) -> tuple[str, Session]:
        """A new session: the cookie's value (kept only as a digest) and the session."""
        cookie = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(24)
        expires = utc(now) + SESSION_TTL
        with self.engine.begin() as conn:
            conn.execute(delete(SESSION).where(SESSION.c.expires < utc(now)))
            conn.execute(
                insert(SESSION).values(
                    digest=digest(cookie),
                    user_id=user.id,
                    created=utc(now),
                    expires=expires,
                    csrf=csrf,
                )
            )
        return cookie, Session(user, expires, csrf)

    def session(self, cookie: str, *, now: dt.datetime) -> Session | None:
        """The live session of a cookie, with an enabled user; None otherwise."""
        query = (
            select(SESSION, USER)
            .join(USER, USER.c.id == SESSION.c.user_id)
            .where(SESSION.c.digest == digest(cookie))
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        m = row._mapping
        if aware(m[SESSION.c.expires]) <= utc(now) or m[USER.c.disabled] is not None:
            return None
        return Session(_user_of(m), aware(m[SESSION.c.expires]), str(m[SESSION.c.csrf]))

    def end_session(self, cookie: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(SESSION).where(SESSION.c.digest == digest(cookie)))

    # --- API tokens -----------------------------------------------------------------------

    def create_token(
        self, username: str, name: str | None, *, now: dt.datetime, actor: str | None = None
    ) -> tuple[str, Token]:
        """A new token for ``username``: its value (shown once, stored only as a digest). With
        ``actor``, the audit trail records who made it (never the value)."""
        user = self.user(username)
        if user.disabled:
            raise AccountError(f"用户“{username}”已停用，不能为其创建令牌。")
        value = TOKEN_PREFIX + secrets.token_urlsafe(32)
        label = (name or "").strip()[:100] or f"{username} 的令牌"
        with self.engine.begin() as conn:
            token_id: Any = conn.execute(
                insert(TOKEN)
                .values(user_id=user.id, name=label, digest=digest(value), created=utc(now))
                .returning(TOKEN.c.id)
            ).scalar_one()
            if actor is not None:
                record_event(
                    conn,
                    at=now,
                    actor=actor,
                    entity="token",
                    entity_id=int(token_id),
                    action="created",
                    changes={"user": [None, user.username], "name": [None, label]},
                )
        return value, self.token(int(token_id))

    def token(self, token_id: int) -> Token:
        tokens = self.tokens(token_id=token_id)
        if not tokens:
            raise AccountError(f"没有编号为 {token_id} 的令牌，请用 orglife tokens list 查看。")
        return tokens[0]

    def tokens(self, *, token_id: int | None = None) -> list[Token]:
        query = (
            select(TOKEN, USER.c.username)
            .join(USER, USER.c.id == TOKEN.c.user_id)
            .order_by(TOKEN.c.id)
        )
        if token_id is not None:
            query = query.where(TOKEN.c.id == token_id)
        with self.engine.connect() as conn:
            return [
                Token(
                    id=int(r.id),
                    user=str(r.username),
                    name=str(r.name),
                    created=aware(r.created),
                    last_used=None if r.last_used is None else aware(r.last_used),
                    revoked=None if r.revoked is None else aware(r.revoked),
                )
                for r in conn.execute(query)
            ]

    def revoke(self, token_id: int, *, now: dt.datetime, actor: str | None = None) -> Token:
        """Revoke a token (again: nothing changes). With ``actor``, the audit trail records who
        revoked it."""
        self.token(token_id)
        with self.engine.begin() as conn:
            changed = conn.execute(
                update(TOKEN)
                .where(and_(TOKEN.c.id == token_id, TOKEN.c.revoked.is_(None)))
                .values(revoked=utc(now))
            ).rowcount
            if actor is not None and changed:
                record_event(
                    conn,
                    at=now,
                    actor=actor,
                    entity="token",
                    entity_id=token_id,
                    action="revoked",
                    changes={"revoked": [False, True]},
                )
        return self.token(token_id)

    def bearer(self, value: str, *, now: dt.datetime) -> User | None:
        """The enabled user of a live token (its last use is noted); None otherwise."""
        query = (
            select(TOKEN.c.id, TOKEN.c.revoked, USER)
            .join(USER, USER.c.id == TOKEN.c.user_id)
            .where(TOKEN.c.digest == digest(value))
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None or row.revoked is not None or row.disabled is not None:
            return None
        with self.engine.begin() as conn:
            conn.execute(update(TOKEN).where(TOKEN.c.id == row.id).values(last_used=utc(now)))
        return _user_of(row._mapping)


def _username(value: str) -> str:
    name = value.strip()
    if not name or len(name) > 64 or any(c.isspace() for c in name):
        raise AccountError(f"用户名“{value}”不可用：应为1到64个字符，不含空格。")
    return name


def _check_password(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise AccountError(f"密码太短：至少{MIN_LENGTH}个字符。")


def _org_type(conn: Connection, code: str) -> str:
    found = conn.execute(select(ORG_TABLE.c.type).where(ORG_TABLE.c.code == code)).scalar()
    if found is None:
        raise UnknownOrgError(code)
    return str(found)


def _user(row: Any) -> User:
    return _user_of(row._mapping)


def _user_of(m: Any) -> User:
    return User(
        id=int(m[USER.c.id]),
        username=str(m[USER.c.username]),
        role=Role(m[USER.c.role]),
        org=m[USER.c.org],
        disabled=m[USER.c.disabled] is not None,
        created=None if m[USER.c.created] is None else aware(m[USER.c.created]),
    )
