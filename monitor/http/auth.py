"""Who is calling: a Bearer token (programs) or the session cookie set by ``POST /login``
(browsers); what they may do (:func:`require`) and where (:class:`Caller.scope`).

* No credentials, or ones that do not work: 401 with ``WWW-Authenticate: Bearer``.
* A role that may not do this: 403. Anything outside the caller's scope: 404 (routes check
  with :meth:`Caller.org` / :meth:`Caller.check`), the same as what does not exist.
* A cookie-authenticated request that changes something must carry the session's CSRF token in
  ``X-CSRF-Token`` (or a form field ``csrf``); a Bearer request needs none (a browser never
  adds it on its own).
* Sign-in is throttled per username and per address (:class:`SignInThrottled` → 429 with
  ``Retry-After``).
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response

from monitor.accounts.model import Action, Scope, User
from monitor.accounts.store import AccountStore, Session, SignInRefused, SignInThrottled
from monitor.http.deps import StateDep
from monitor.http.html import home_of, page, redirect, safe_next, wants_json
from monitor.http.problems import ApiError, Problem, not_found

SESSION_COOKIE = "orglife_session"
CSRF_HEADER = "X-CSRF-Token"
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class Caller:
    """The signed-in user, their scope, and their session when they came with a cookie."""

    user: User
    scope: Scope
    session: Session | None = None

    @property
    def actor(self) -> str:
        """How the audit trail names them."""
        return f"user:{self.user.username}"

    def check(self, code: str | None) -> str:
        """``code`` when it lies in the scope; else the uniform 404."""
        if code is None or code not in self.scope:
            raise not_found()
        return code

    def may(self, action: Action) -> bool:
        return self.user.may(action)


def _unauthorized(
    detail: str = "需要登录：请提供 API 令牌（Authorization: Bearer …）或先登录。",
) -> ApiError:
    return ApiError(401, detail, headers={"WWW-Authenticate": 'Bearer realm="orglife"'})


async def caller(request: Request, app: StateDep) -> Caller:
    """The authenticated caller of this request."""
    accounts = AccountStore(app.store)
    now = app.clock()
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise _unauthorized("Authorization 头应为“Bearer 令牌”。")
        user = await asyncio.to_thread(accounts.bearer, value.strip(), now=now)
        if user is None:
            raise _unauthorized("令牌无效、已吊销，或其用户已停用。")
        scope = await asyncio.to_thread(accounts.scope, user)
        return Caller(user, scope)
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise _unauthorized()
    session = await asyncio.to_thread(accounts.session, cookie, now=now)
    if session is None:
        raise _unauthorized("登录已过期，请重新登录。")
    if request.method not in _SAFE:
        sent = request.headers.get(CSRF_HEADER, "")
        if not sent and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")
        ):
            sent = str((await request.form()).get("csrf", ""))
        if not hmac.compare_digest(sent, session.csrf):
            raise ApiError(403, "缺少或错误的 CSRF 令牌：请刷新页面后重试。")
    scope = await asyncio.to_thread(accounts.scope, session.user)
    return Caller(session.user, scope, session)


def require(action: Action) -> Callable[..., Awaitable[Caller]]:
    """A dependency: the caller, who must be allowed ``action`` (else 403)."""

    async def allowed(who: Annotated[Caller, Depends(caller)]) -> Caller:
        if not who.may(action):
            raise ApiError(403, f"您的角色（{who.user.role.label}）不能进行此操作。")
        return who

    return allowed


router = APIRouter(tags=["登录"])

_HTML = {"text/html": {"schema": {"type": "string"}}}
_PROBLEMS: dict[int | str, dict[str, object]] = {
    204: {"description": "已登录（请求 `Accept: application/json` 时）"},
    303: {
        "description": "已登录：转到用户首页（表单提交）",
        "headers": {"Location": {"schema": {"type": "string"}}},
    },
    401: {
        "model": Problem,
        "description": "用户名或密码不正确（表单提交时为登录页）",
        "content": _HTML,
    },
    429: {"model": Problem, "description": "失败次数过多（表单提交时为登录页）", "content": _HTML},
}


@router.post("/login", status_code=204, response_model=None, responses=_PROBLEMS)
async def login(
    request: Request,
    response: Response,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    app: StateDep,
) -> Response | None:
    """Sign in with ``username`` and ``password`` (form fields); sets the session cookie.

    A form post gets a 303 to the user's home (or to a local ``next``), and the form again on a
    refusal. A program that asks for JSON (``Accept: application/json``) gets 204, and
    problem+json on a refusal; either way the session's CSRF token is in ``X-CSRF-Token``."""
    accounts = AccountStore(app.store)
    address = request.client.host if request.client else "unknown"
    form = await request.form()
    browser = "next" in form or not wants_json(request)
    wanted = safe_next(form.get("next"))
    try:
        user = await asyncio.to_thread(
            accounts.authenticate, username, password, address=address, now=app.clock()
        )
    except SignInThrottled as exc:
        if browser:
            refused = page("login.html", status=429, error=str(exc), username=username, next=wanted)
            refused.headers["Retry-After"] = str(exc.retry_after)
            return refused
        raise ApiError(429, str(exc), headers={"Retry-After": str(exc.retry_after)}) from None
    except SignInRefused as exc:
        if browser:
            return page("login.html", status=401, error=str(exc), username=username, next=wanted)
        raise _unauthorized(str(exc)) from None
    cookie, session = await asyncio.to_thread(accounts.start_session, user, now=app.clock())
    reply: Response = response
    if browser:
        home: str = await asyncio.to_thread(home_of, user, app.store)
        reply = redirect(wanted if wanted is not None else home)
    reply.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=int((session.expires - app.clock()).total_seconds()),
        httponly=True,
        secure=app.secure_cookies,
        samesite="strict",
        path="/",
    )
    reply.headers["X-CSRF-Token"] = session.csrf
    return reply if browser else None


@router.post("/logout", status_code=204, response_model=None, responses={401: {"model": Problem}})
async def logout(
    request: Request,
    response: Response,
    who: Annotated[Caller, Depends(caller)],
    app: StateDep,
) -> Response | None:
    """End the session (a cookie's; a Bearer token stays valid until revoked). A form's post is
    sent on to the login page; a program asking for JSON gets 204."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if who.session is not None and cookie:
        await asyncio.to_thread(AccountStore(app.store).end_session, cookie)
    form_post = not wants_json(request)
    reply: Response = redirect("/login") if form_post else response
    reply.delete_cookie(SESSION_COOKIE, path="/")
    return reply if form_post else None


Reader = Annotated[Caller, Depends(require(Action.READ))]
