"""Errors as RFC 9457 problem details (``application/problem+json``) with a Chinese ``detail``.

Every error an API caller sees has the same shape: ``type``, ``title``, ``status``, ``detail``
and, for invalid input, ``errors`` — one entry per field with its ``field`` path and a Chinese
``message``. Anything outside the caller's scope is the same 404 as what does not exist.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from monitor.core.errors import OrglifeError, UnknownOrgError

PROBLEM = "application/problem+json"
NOT_FOUND_DETAIL = "未找到：不存在，或不在您的权限范围内。"

_TITLES = {
    400: "请求有误",
    401: "需要登录",
    403: "没有权限",
    404: "未找到",
    405: "不支持的请求方法",
    409: "冲突",
    413: "文件太大",
    415: "不支持的内容类型",
    422: "输入有误",
    429: "请求过于频繁",
    500: "服务器内部错误",
    503: "服务暂不可用",
}


class FieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """An error (RFC 9457)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None


class ApiError(Exception):
    """Raised by routes: becomes a problem response with ``status`` and ``detail``."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}


def not_found() -> ApiError:
    """The one 404 for what does not exist and what lies outside the caller's scope."""
    return ApiError(404, NOT_FOUND_DETAIL)


def problem(
    status: int,
    detail: str,
    *,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = Problem(title=_TITLES.get(status, "错误"), status=status, detail=detail, errors=errors)
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        media_type=PROBLEM,
        headers=headers,
    )


def _field(location: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in location if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or "请求体"


_MESSAGES = {
    "missing": "缺少此项",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）",
    "date_parsing": "应为日期（YYYY-MM-DD）",
    "date_type": "应为日期（YYYY-MM-DD）",
    "string_type": "应为文字",
    "list_type": "应为列表",
    "bool_parsing": "应为 true 或 false",
    "greater_than_equal": "数值太小",
    "less_than_equal": "数值太大",
    "string_too_long": "太长",
    "string_too_short": "不能为空",
    "enum": "不是允许的取值",
    "literal_error": "不是允许的取值",
    "json_invalid": "不是有效的 JSON",
    "model_attributes_type": "应为 JSON 对象",
    "dict_type": "应为 JSON 对象",
    "extra_forbidden": "不认识的字段",
    "string_pattern_mismatch": "格式不对",
}


# Fields whose value an error never repeats: credentials sent in a request body.
SECRET_FIELDS = frozenset({"password", "secret", "webhook", "token"})


# What the framework says in English, in Chinese.
_FRAMEWORK_DETAILS = {
    "There was an error parsing the body": "请求体无法解析：应为 UTF-8 编码的 JSON",
    "Method Not Allowed": "不支持此请求方法",
}


def _message(error: dict[str, Any]) -> str:
    said = _MESSAGES.get(str(error.get("type")), "取值无效")
    value = error.get("input")
    location = error.get("loc", ())
    secret = bool(location) and str(location[-1]) in SECRET_FIELDS
    if (
        error.get("type") != "missing"
        and not secret
        and isinstance(value, str | int | float)
        and value != ""
    ):
        return f"{said}（值：{value}）"
    return said


def install(app: FastAPI) -> None:
    """Make every error of ``app`` a problem response."""

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return problem(exc.status, exc.detail, errors=exc.errors, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            FieldError(field=_field(e.get("loc", ())), message=_message(e)) for e in exc.errors()
        ]
        detail = "；".join(f"字段“{e.field}”：{e.message}" for e in errors) or "输入有误"
        return problem(422, detail, errors=errors)

    @app.exception_handler(OrglifeError)
    async def _refused(_: Request, exc: OrglifeError) -> JSONResponse:
        if isinstance(exc, UnknownOrgError):  # what does not exist is the uniform 404
            return problem(404, NOT_FOUND_DETAIL)
        return problem(422, str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if not request.url.path.startswith("/api/"):  # feeds and pages answer in their own way
            return await http_exception_handler(request, exc)
        detail = NOT_FOUND_DETAIL if exc.status_code == 404 else str(exc.detail)
        detail = _FRAMEWORK_DETAILS.get(detail, detail)
        headers = dict(exc.headers) if exc.headers else None
        return problem(exc.status_code, detail, headers=headers)
