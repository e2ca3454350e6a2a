"""``/admin``: users and their roles, API tokens and linked chats; admins only (others 403).

Every change goes through the same store calls as the API (:mod:`monitor.http.api.users`,
:mod:`monitor.http.api.chats`) with the same checks and words, recorded in the audit trail as
``user:<name>``. Secrets stay secret: a password is never echoed back into a form; a token's
value is on the page that creates it (``no-store``) and nowhere else; a robot's webhook is
shown redacted and its signing secret never. Register imports are in :mod:`.admin_imports`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.datastructures import FormData
from starlette.responses import Response

from monitor.accounts.model import Action, Role, Token, User
from monitor.accounts.passwords import MIN_LENGTH
from monitor.accounts.store import AccountError, AccountStore
from monitor.alerts.destinations import chat_json
from monitor.alerts.plan import Platform
from monitor.alerts.store import AlertStore
from monitor.core.errors import UnknownOrgError
from monitor.core.schedule import SHANGHAI
from monitor.http.auth import Caller
from monitor.http.deps import AppState, StateDep
from monitor.http.html import redirect
from monitor.http.pages.common import not_found, permitted, show
from monitor.store import Store
from monitor.text.messages import CHAT_ROLE_ZH

router = APIRouter(include_in_schema=False)

ROLES = tuple(Role)
MAX_ID = 2**31 - 1


async def admin(request: Request, app: AppState) -> Caller | Response:
    """The signed-in admin, or the page to answer instead (login, 403)."""
    return await permitted(request, app, Action.ADMIN)


def _text(form: FormData, name: str, limit: int = 1024) -> str:
    value = form.get(name, "")
    return value[:limit] if isinstance(value, str) else ""


def _when(moment: dt.datetime | None) -> str:
    """A moment as Beijing time, to the minute; a dash for never."""
    if moment is None:
        return "—"
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def _id(value: str) -> int | None:
    return int(value) if value.isdigit() and 0 < int(value) <= MAX_ID else None


# --- the index ------------------------------------------------------------------------------


@router.get("/admin")
async def admin_index(request: Request, app: StateDep) -> Response:
    """What an admin manages, one link each."""
    who = await admin(request, app)
    if not isinstance(who, Caller):
        return who
    return show(who, "admin.html")


# --- users ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UserLine:
    username: str
    role: str  # 支部书记 …
    org: str  # the code, or "" for an admin
    org_name: str
    disabled: bool
    created: str


@dataclass(frozen=True, slots=True)
class UsersView:
    """The users page: everyone, the add form (refilled after a mistake), what just happened."""

    users: list[UserLine]
    roles: tuple[Role, ...] = ROLES
    values: dict[str, str] = field(default_factory=dict)  # username, role, org (never password)
    errors: dict[str, str] = field(default_factory=dict)
    reset: str | None = None  # whose password reset was refused …
    reset_error: str | None = None  # … and why
    notice: str | None = None
    min_length: int = MIN_LENGTH


def user_lines(users: list[User], names: dict[str, str]) -> list[UserLine]:
    return [
        UserLine(
            username=u.username,
            role=u.role.label,
            org=u.org or "",
            org_name=names.get(u.org or "", ""),
            disabled=u.disabled,
            created=_when(u.created),
        )
        for u in users
    ]


def _users(store: Store) -> list[UserLine]:
    users = AccountStore(store).users()
    names = {o.code: o.name for o in store.orgs({u.org for u in users if u.org})}
    return user_lines(users, names)


def users_notice(query: dict[str, str]) -> str | None:
    """The notice after a change, from the redirect's query (``added``, ``disabled``, …)."""
    if "added" in query:
        return f"已添加用户“{query['added']}”，请把用户名和初始密码当面或电话告知本人。"
    if "disabled" in query:
        return f"已停用用户“{query['disabled']}”：其登录已退出，令牌已失效。"
    if "reset" in query:
        return f"已重设用户“{query['reset']}”的密码，其在各处的登录已退出。"
    return None


def check_new_user(username: str, role: str, org: str, password: str) -> dict[str, str]:
    """The add form's errors that need no database (the API's checks and words)."""
    errors: dict[str, str] = {}
    name = username.strip()
    if not name or len(name) > 64 or any(c.isspace() for c in name):
        errors["username"] = "用户名应为1到64个字符，不含空格。"
    if role not in {r.value for r in ROLES}:
        errors["role"] = "请选择角色。"
    elif role == Role.ADMIN.value and org.strip():
        errors["org"] = "系统管理员不属于某个组织，请把所属组织留空。"
    elif role != Role.ADMIN.value and not org.strip():
        errors["org"] = f"角色“{Role(role).label}”需要填写所属组织的编码。"
    if len(password) < MIN_LENGTH:
        errors["password"] = f"密码太短：至少{MIN_LENGTH}个字符。"
    return errors


@router.get("/admin/users")
async def users_page(request: Request, app: StateDep) -> Response:
    """Every account, the form to add one, and per account: disable, reset the password."""
    who = await admin(request, app)
    if not isinstance(who, Caller):
        return who
    users = await asyncio.to_thread(_users, app.store)
    notice = users_notice(dict(request.query_params))
    return show(who, "admin_users.html", view=UsersView(users, notice=notice))


@router.post("/admin/users")
async def add_user(request: Request, app: StateDep) -> Response:
    """Add an account (``username``, ``role``, ``org``, ``password``)."""
    who = await admin(request, app)
    if not isinstance(who, Caller):
        return who
    form = await request.form()
    username, role = _text(form, "username", 200), _text(form, "role", 20)
    org, password = _text(form, "org", 200).strip(), _text(form, "password")
    errors = check_new_user(username, role, org, password)
    if not errors:
        try:
            await asyncio.to_thread(
                AccountStore(app.store).add_user,
                username,
                password,
                Role(role),
                org or None,
                now=app.clock(),
                actor=who.actor,
            )
        except UnknownOrgError:
            errors = {"org": f"没有编码为“{org}”的组织，请核对组织编码。"}
        except AccountError as exc:
            errors = {"username": str(exc)}  # the name is taken: the rest was checked above
    if errors:
        users = await asyncio.to_thread(_users, app.store)
        values = {"username": username, "role": role, "org": org}
        view = UsersView(users, values=values, errors=errors)
        return show(who, "admin_users.html", status=422, view=view)
    return redirect(f"/admin/users?added={_q(username.strip())}")


def _q(value: str) -> str:
    return quote(value, safe="")


async def _known(app: AppState, username: str) -> bool:
    try:
        await asyncio.to_thread(AccountStore(app.store).user, username)
    except AccountError:
        return False
    return True


@router.post("/admin/users/{username}/disable")
async def disable_user(username: str, request: Request, app: StateDep) -> Response:
    """Disable an account: it can no longer sign in, its sessions end, its tokens stop."""
    who = await admin(request, app)
    if not isinstance(who, Caller):
        return who
    if not await _known(app, username):
        return not_found(who)
    await asyncio.to_thread(
        AccountStore(app.store).disable, username, now=app.clock(), actor=who.actor
    )
    return redirect(f"/admin/users?disabled={_q(username)}")


@router.post("/admin/users/{username}/password")
async def reset_password(username: str, request: Request, app: StateDep) -> Response:
    """Set a new password (``password``); the account's browser sessions end."""
    who = await admin(request, app)
    if not isinstance(who, Caller):
        return who
    if not await _known(app, username):
        return not_found(who)
    password = _text(await request.form(), "password")
    try:
        await asyncio.to_thread(
            AccountStore(app.store).set_password,
            username,
            password,
            actor=who.actor,
            now=app.clock(),
        )
    except AccountError as exc:
        users = await asyncio.to_thread(_users, app.store)
        view = UsersView(users, reset=username, reset_error=str(exc))
        return show(who, "admin_users.html", status=422, view=view)
    return redirect(f"/admin/users?reset={_q(username)}")


# --- API tokens -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TokenLine:
    id: int
    user: str
    name: str
    created: str
    last_used: str
    revoked: str | None


@dataclass(frozen=True, slots=True)
class TokensView:
    tokens: list[TokenLine]
    users: list[str]  # enabled accounts, for the create form
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    notice: str | None = None


def token_lines(tokens: list[Token]) -> list[TokenLine]:
    return [
        TokenLine(
            id=t.id,
            user=t.user,
            name=t.name,
            created=_when(t.created),
            last_used=_when(t.last_used),
            revoked=None if t.revoked is None else _when(t.revoked),
        )
        for t in tokens
    ]


def _tokens_view(store: Store, **extra: Any) -> TokensView:
    accounts = AccountStore(store)
    enabled = [u.username for u in accounts.users() if not u.disabled]
    return TokensView(token_lines(accounts.tokens()), enabled, **extra)


@router.get("/admin/tokens")
async def tokens_page(request: Request, app: StateDep) -> Response:
    """Every token (never its value), the form to create one, revoking."""
    who = await admin(request, app)
    if not isinstance(who, Caller):
        return who
    revoked = request.query_params.get("revoked", "")
    notice = f"已吊销令牌 {revoked}：使用它的程序将无法再访问。" if revoked.isdigit() else None
    view = await asyncio.to_thread(_tokens_view, app.store, notice=notice)
    return show(who, "admin_tokens.html", view=view)


@router.post("/admin/tokens")
async def create_token(request: Request, app: StateDep) -> Response:
    """Create a token for ``user`` (named ``name``): its value on this reply only."""
    who = await admin(request, app)
    if not isinstance(who, Caller):
        return who
    form = await request.form()
    user, name = _text(form, "user", 200).strip(), _text(form, "name", 200).strip()
    error = None if user else "请选择用户。"
    if error is None:
        try:
            value, token = await asyncio.to_thread(
                AccountStore(app.store).create_token,
                user,
                name or None,
                now=app.clock(),
                actor=who.actor,
            )
        except AccountError as exc:
            error = str(exc)
    if error is not None:
        view = await asyncio.to_thread(
            _tokens_view, app.store, values={"user": user, "name": name}, errors={"user": error}
        )
        return show(who, "admin_tokens.html", status=422, view=view)
    (line,) = token_lines([token])
    reply = show(who, "admin_token_created.html", status=201, token=line, value=value)
    reply.headers["Cache-Control"] = "no-store"
    return reply


@router.post("/admin/tokens/{token_id}/revoke")
async def revoke_token(token_id: str, request: Request, app: StateDep) -> Response:
    """Revoke a token: programs using it get 401 from then on."""
    who = await admin(request, app)
    if not isinstance(who, Caller):
        return who
    number = _id(token_id)
    if number is None:
        return not_found(who)
    try:
        await asyncio.to_thread(
            AccountStore(app.store).revoke, number, now=app.clock(), actor=who.actor
        )
    except AccountError:
        return not_found(who)
    return redirect(f"/admin/tokens?revoked={number}")


# --- chats ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChatLine:
    """A linked chat as `orglife chats list` shows it: the webhook redacted, never the secret."""

    id: int
    org: str
    org_name: str
    role: str
    channel: str
    where: str
    signed: bool
    show_names: bool
    disabled: bool
    reason: str | None


@dataclass(frozen=True, slots=True)
class ChatsView:
    chats: list[ChatLine]
    failed: int | None = None  # the chat whose disabling was refused …
    error: str | None = None  # … and why
    notice: str | None = None


def chat_lines(shown: list[dict[str, Any]]) -> list[ChatLine]:
    """From the API's listing (:func:`chat_json`), so both redact alike."""
    return [
        ChatLine(
            id=int(c["id"]),
            org=str(c["org"]),
            org_name=str(c["org_name"]),
            role=CHAT_ROLE_ZH.get(str(c["role"]), str(c["role"])),
            channel=Platform(c["channel"]).label,
            where=str(c["webhook"] if c["webhook"] is not None else c["chat_id"]),
            signed=bool(c["signed"]),
            show_names=bool(c["show_names"]),
            disabled=bool(c["disabled"]),
            reason=c["reason"],
        )
        for c in shown
    ]


def _chats(store: Store, chat_id: int | None = None) -> list[ChatLine]:
    chats = AlertStore(store).chats(id=chat_id)
    names = {o.code: o.name for o in store.orgs({c.org for c in chats})}
    return chat_lines([chat_json(c, names.get(c.org, "")) for c in chats])


@router.get("/admin/chats")
async def chats_page(request: Request, app: StateDep) -> Response:
    """Every linked chat (webhooks redacted), with disabling."""
    who = await admin(request, app)
    if not isinstance(who, Caller):
        return who
    done = request.query_params.get("disabled", "")
    notice = f"已停用群聊 {done}：不再向它发送消息，重新绑定后恢复。" if done.isdigit() else None
    chats = await asyncio.to_thread(_chats, app.store)
    return show(who, "admin_chats.html", view=ChatsView(chats, notice=notice))


@router.post("/admin/chats/{chat_id}/disable")
async def disable_chat(chat_id: str, request: Request, app: StateDep) -> Response:
    """Stop sending to the chat's destination (``reason`` required), as the API does."""
    who = await admin(request, app)
    if not isinstance(who, Caller):
        return who
    number = _id(chat_id)
    found = await asyncio.to_thread(AlertStore(app.store).chats, id=number) if number else []
    if not found or number is None:
        return not_found(who)
    reason = _text(await request.form(), "reason", 500).strip()
    if not reason:
        chats = await asyncio.to_thread(_chats, app.store)
        view = ChatsView(chats, failed=number, error="请写明停用的原因。")
        return show(who, "admin_chats.html", status=422, view=view)
    await asyncio.to_thread(
        AlertStore(app.store).disable_chat,
        found[0].address,
        reason,
        now=app.clock(),
        actor=who.actor,
    )
    return redirect(f"/admin/chats?disabled={number}")
