"""``/account/password``: a signed-in user changes their own password.

The current password is checked as a sign-in is (a wrong one counts towards the sign-in
throttle); the new one twice, with the account store's rules (minimum length). On success the
user's other sessions end and this one stays; the page then says so. Nothing is changed when
any field is wrong, and no password is ever echoed back into the form.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from fastapi import APIRouter, Request
from starlette.responses import Response

from monitor.accounts.passwords import MIN_LENGTH
from monitor.accounts.store import AccountError, AccountStore, SignInRefused, SignInThrottled
from monitor.http.auth import SESSION_COOKIE
from monitor.http.deps import StateDep
from monitor.http.html import redirect
from monitor.http.pages.common import client_address, show, signed_in, to_login

router = APIRouter(include_in_schema=False)

MAX_PASSWORD = 1024  # as the login form's field


@dataclass(frozen=True, slots=True)
class PasswordForm:
    """What the form shows: errors by field (``current``, ``new``, ``again``) and a notice."""

    errors: dict[str, str] = field(default_factory=dict)
    changed: bool = False
    min_length: int = MIN_LENGTH


def check_new(new: str, again: str) -> dict[str, str]:
    """The errors of the new password typed twice (empty when it may be tried)."""
    if not new:
        return {"new": "请输入新密码。"}
    if len(new) < MIN_LENGTH:
        return {"new": f"新密码太短：至少{MIN_LENGTH}个字符。"}
    if len(new) > MAX_PASSWORD:
        return {"new": f"新密码太长：最多{MAX_PASSWORD}个字符。"}
    if new != again:
        return {"again": "两次输入的新密码不一致，请重新输入。"}
    return {}


@router.get("/account/password")
async def password_form(request: Request, app: StateDep) -> Response:
    """The form; after a change, with the notice that it worked."""
    who = await signed_in(request, app)
    if who is None:
        return to_login(request)
    changed = request.query_params.get("changed") == "1"
    return show(who, "password.html", form=PasswordForm(changed=changed))


@router.post("/account/password")
async def change_password(request: Request, app: StateDep) -> Response:
    """Change the caller's password (fields ``current``, ``new``, ``again``)."""
    who = await signed_in(request, app)
    if who is None:
        return to_login(request)
    form = await request.form()
    current = str(form.get("current", ""))[:MAX_PASSWORD]
    new = str(form.get("new", ""))
    again = str(form.get("again", ""))
    errors: dict[str, str] = {} if current else {"current": "请输入当前密码。"}
    errors |= check_new(new, again)
    status = 422
    if not errors:
        try:
            await asyncio.to_thread(
                AccountStore(app.store).change_password,
                who.user,
                current,
                new,
                address=client_address(request),
                now=app.clock(),
                keep=request.cookies.get(SESSION_COOKIE) if who.session is not None else None,
            )
        except SignInThrottled as exc:
            errors, status = {"current": str(exc)}, 429
        except SignInRefused:
            errors = {"current": "当前密码不正确。"}
        except AccountError as exc:
            errors = {"new": str(exc)}
    if errors:
        return show(who, "password.html", status=status, form=PasswordForm(errors=errors))
    return redirect("/account/password?changed=1")
