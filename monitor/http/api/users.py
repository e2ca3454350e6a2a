"""``/api/v1/users`` and ``/api/v1/tokens``: accounts and API tokens; admin only.

The same checks and words as `orglife users …` and `orglife tokens …`. A password travels only
in a request body and is never echoed (not even in an error), logged or stored in clear; a
token's value is returned once, in the 201 response that creates it. Changes go into the audit
trail as ``user:<name>`` (never a password or a token's value).
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response

from monitor.accounts.model import Action, Role, Token, User
from monitor.accounts.passwords import MIN_LENGTH
from monitor.accounts.store import AccountError, AccountStore
from monitor.core.errors import UnknownOrgError
from monitor.http.api.models import (
    MAX_ID,
    PasswordIn,
    TokenCreatedOut,
    TokenIn,
    TokenOut,
    UserIn,
    UserOut,
)
from monitor.http.api.scoping import BODY, COMMON, CONFLICT, refused
from monitor.http.auth import Caller, require
from monitor.http.deps import StateDep
from monitor.http.problems import not_found

router = APIRouter(tags=["用户与令牌（管理员）"], responses=COMMON)

Admin = Annotated[Caller, Depends(require(Action.ADMIN))]
Username = Annotated[str, Path(min_length=1, max_length=64, description="The username.")]
TokenId = Annotated[int, Path(ge=1, le=MAX_ID, description="The token's id.")]


def user_out(user: User) -> UserOut:
    return UserOut(
        username=user.username,
        role=user.role,
        org=user.org,
        disabled=user.disabled,
        created=user.created,
    )


def token_out(token: Token) -> TokenOut:
    return TokenOut(
        id=token.id,
        user=token.user,
        name=token.name,
        created=token.created,
        last_used=token.last_used,
        revoked=token.revoked,
    )


async def _user(accounts: AccountStore, username: str) -> User:
    try:
        return await asyncio.to_thread(accounts.user, username)
    except AccountError:
        raise not_found() from None


def _bad_username(value: str) -> bool:
    name = value.strip()
    return not name or len(name) > 64 or any(c.isspace() for c in name)


# --- users ----------------------------------------------------------------------------------


@router.get("/users", response_model=list[UserOut])
async def list_users(who: Admin, app: StateDep) -> list[UserOut]:
    """Every account, by username."""
    found = await asyncio.to_thread(AccountStore(app.store).users)
    return [user_out(u) for u in found]


@router.post("/users", status_code=201, response_model=UserOut, responses=CONFLICT)
async def add_user(body: UserIn, who: Admin, app: StateDep) -> UserOut:
    """Add an account: an admin works everywhere, every other role in ``org``'s part of the
    tree (a secretary: the branch and its party groups)."""
    org = body.org.strip() if body.org else None
    if body.role is not Role.ADMIN and not org:
        raise refused(
            f"角色“{body.role.label}”（{body.role.value}）需要用 --org 指定所属组织。", "org"
        )
    if body.role is Role.ADMIN and org:
        raise refused("系统管理员（admin）不属于某个组织，请去掉 --org。", "org")
    try:
        user = await asyncio.to_thread(
            AccountStore(app.store).add_user,
            body.username,
            body.password,
            body.role,
            org,
            now=app.clock(),
            actor=who.actor,
        )
    except UnknownOrgError as exc:
        raise refused(exc, "org") from None
    except AccountError as exc:
        if _bad_username(body.username):
            raise refused(exc, "username") from None
        if len(body.password) < MIN_LENGTH:
            raise refused(exc, "password") from None
        raise refused(exc, "username", 409) from None  # the username is taken
    return user_out(user)


@router.post("/users/{username}/disable", response_model=UserOut)
async def disable_user(username: Username, who: Admin, app: StateDep) -> UserOut:
    """Disable an account: it can no longer sign in, its sessions end, its tokens stop."""
    accounts = AccountStore(app.store)
    await _user(accounts, username)
    user = await asyncio.to_thread(accounts.disable, username, now=app.clock(), actor=who.actor)
    return user_out(user)


@router.post("/users/{username}/password", status_code=204, responses=BODY)
async def set_password(username: Username, body: PasswordIn, who: Admin, app: StateDep) -> Response:
    """Set a new password (the account's browser sessions end; its tokens stay)."""
    accounts = AccountStore(app.store)
    await _user(accounts, username)
    try:
        await asyncio.to_thread(
            accounts.set_password, username, body.password, actor=who.actor, now=app.clock()
        )
    except AccountError as exc:
        raise refused(exc, "password") from None
    return Response(status_code=204)


# --- API tokens -----------------------------------------------------------------------------


@router.get("/tokens", response_model=list[TokenOut])
async def list_tokens(who: Admin, app: StateDep) -> list[TokenOut]:
    """Every token (never its value), by id."""
    found = await asyncio.to_thread(AccountStore(app.store).tokens)
    return [token_out(t) for t in found]


@router.post("/tokens", status_code=201, response_model=TokenCreatedOut, responses=BODY)
async def create_token(
    body: TokenIn, who: Admin, app: StateDep, response: Response
) -> TokenCreatedOut:
    """Create a token for ``user``: its value is in this response only (``token``)."""
    try:
        value, token = await asyncio.to_thread(
            AccountStore(app.store).create_token,
            body.user.strip(),
            body.name,
            now=app.clock(),
            actor=who.actor,
        )
    except AccountError as exc:
        raise refused(exc, "user") from None
    response.headers["Cache-Control"] = "no-store"
    return TokenCreatedOut(**token_out(token).model_dump(), token=value)


@router.post("/tokens/{id}/revoke", response_model=TokenOut)
async def revoke_token(id: TokenId, who: Admin, app: StateDep) -> TokenOut:
    """Revoke a token: programs using it get 401 from then on."""
    accounts = AccountStore(app.store)
    try:
        token = await asyncio.to_thread(accounts.revoke, id, now=app.clock(), actor=who.actor)
    except AccountError:
        raise not_found() from None
    return token_out(token)
