"""What the resource modules share: orgs looked up inside the caller's scope, and refusals of
the layers below turned into problem responses that name the field at fault."""

from __future__ import annotations

import asyncio

from monitor.core.domain import Org
from monitor.core.errors import OrglifeError, UnknownOrgError
from monitor.http.auth import Caller
from monitor.http.problems import PROBLEM, ApiError, FieldError, Problem, not_found
from monitor.store import Store

Responses = dict[int | str, dict[str, object]]


def problem_response(description: str) -> dict[str, object]:
    """An error response as /api/openapi.json declares it: a :class:`Problem`, served as
    ``application/problem+json``."""
    schema = {"$ref": "#/components/schemas/Problem"}
    return {"model": Problem, "description": description, "content": {PROBLEM: {"schema": schema}}}


# The error responses each router declares (``responses=``), so /api/openapi.json lists them.
COMMON: Responses = {
    401: problem_response("需要登录"),
    403: problem_response("您的角色不能进行此操作"),
    404: problem_response("不存在，或不在您的权限范围内"),
    422: problem_response("输入有误（errors 列出各字段）"),
}
BODY: Responses = {400: problem_response("请求体不是有效的 JSON")}  # routes that take one
CONFLICT: Responses = {**BODY, 409: problem_response("与当前状态冲突")}


def refused(exc: OrglifeError | str, field: str | None, status: int = 422) -> ApiError:
    """A refusal (its message as the CLI words it) as a problem naming ``field``."""
    said = str(exc)
    if field is None:
        return ApiError(status, said)
    return ApiError(
        status, f"字段“{field}”：{said}", errors=[FieldError(field=field, message=said)]
    )


async def org_in_scope(who: Caller, store: Store, code: str) -> Org:
    """The org ``code`` when it exists and lies in the caller's scope; else the uniform 404
    (the same for an org outside the scope as for one that does not exist)."""
    who.check(code)
    try:
        return await asyncio.to_thread(store.org, code)
    except UnknownOrgError:
        raise not_found() from None


def scope_codes(who: Caller) -> list[str] | None:
    """The caller's orgs, or None for every org (an admin)."""
    return None if who.scope.everything else sorted(who.scope.orgs)


async def codes_in_scope(who: Caller, store: Store, code: str | None) -> list[str] | None:
    """The orgs of ``code``'s subtree inside the scope (``code`` None: the whole scope; None
    for every org); 404 when ``code`` is outside the scope or does not exist."""
    if code is None:
        return scope_codes(who)
    await org_in_scope(who, store, code)
    codes = await asyncio.to_thread(store.subtree, code)
    return [c for c in codes if c in who.scope]
