"""The FastAPI application: routers, the access log, the OpenAPI document and its docs page.

``create_app(state)`` is all a server needs (:mod:`monitor.http.server` runs it under uvicorn in
`orglife serve`'s loop); routes reach the store, the rule pack and the feeds through
:data:`monitor.http.state.State`. The document is at ``/api/openapi.json``, Swagger UI at
``/api/docs`` (:mod:`monitor.http.docs`).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI

from monitor import __version__
from monitor.http import auth, docs, feeds, health, pages, problems
from monitor.http.access import AccessLog
from monitor.http.api import api_router
from monitor.http.state import AppState

OPENAPI = "/api/openapi.json"
_VALIDATION_ERROR = "#/components/schemas/HTTPValidationError"


class _App(FastAPI):
    def openapi(self) -> dict[str, Any]:
        if self.openapi_schema is None:
            self.openapi_schema = _problems_as_sent(_without_impossible_422s(super().openapi()))
        return self.openapi_schema


def create_app(state: AppState) -> FastAPI:
    """The app over ``state``: ``/feeds``, ``/reports``, ``/healthz``, ``/login``, ``/logout``,
    ``/api/...``, and the web pages (``/``, ``/org/...``, ``/static``)."""
    app = _App(
        title="orglife",
        version=__version__,
        summary="Compliance monitor for Party organisational life (组织生活合规监测)",
        openapi_url=OPENAPI,
        docs_url=None,  # served by monitor.http.docs, with local assets
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
        # /feeds/<token>.ics/ is a 404 as before, not a redirect that repeats the token.
        redirect_slashes=False,
    )
    app.state.orglife = state
    app.add_middleware(AccessLog)
    problems.install(app)
    app.include_router(feeds.router)
    app.include_router(health.router)
    app.include_router(docs.router)
    app.include_router(auth.router)
    app.include_router(pages.router)
    app.include_router(api_router())
    docs.mount_assets(app)
    pages.mount_static(app)
    return app


def _without_impossible_422s(schema: dict[str, Any]) -> dict[str, Any]:
    """The document without the 422 FastAPI lists for every operation with parameters: one
    with no body and only unconstrained string parameters never fails validation."""
    for item in schema.get("paths", {}).values():
        for operation in item.values():
            parameters = operation.get("parameters", [])
            if "requestBody" not in operation and all(
                _any_string(p.get("schema", {})) for p in parameters
            ):
                operation.get("responses", {}).pop("422", None)
    schemas = schema.get("components", {}).get("schemas", {})
    if _VALIDATION_ERROR not in json.dumps(schema.get("paths", {})):
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
        if not schemas:
            schema["components"].pop("schemas")
        if not schema.get("components"):
            schema.pop("components", None)
    return schema


_PROBLEM = "#/components/schemas/Problem"


def _problems_as_sent(schema: dict[str, Any]) -> dict[str, Any]:
    """Errors as the app sends them: every 422 is a :class:`~monitor.http.problems.Problem`
    (not FastAPI's ``HTTPValidationError``), and problems are ``application/problem+json``."""
    for item in schema.get("paths", {}).values():
        for operation in item.values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                body = content.get("application/json", {}).get("schema", {})
                if status == "422" or body.get("$ref") == _PROBLEM:
                    response["content"] = {
                        "application/problem+json": {"schema": {"$ref": _PROBLEM}}
                    }
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    if _PROBLEM in json.dumps(schema.get("paths", {})):
        schemas.setdefault("Problem", _problem_schema())
        schemas.setdefault("FieldError", _field_error_schema())
    if _VALIDATION_ERROR not in json.dumps(schema.get("paths", {})):
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
    if not schemas:
        schema["components"].pop("schemas")
    if not schema["components"]:
        schema.pop("components")
    return schema


def _problem_schema() -> dict[str, Any]:
    from monitor.http.problems import Problem

    found: dict[str, Any] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    found.pop("$defs", None)
    return found


def _field_error_schema() -> dict[str, Any]:
    from monitor.http.problems import FieldError

    found: dict[str, Any] = FieldError.model_json_schema()
    return found


_ANNOTATIONS = {"title", "description", "default", "examples"}


def _any_string(schema: dict[str, Any]) -> bool:
    """Whether every string (or, for an optional one, nothing) passes ``schema``."""
    if "anyOf" in schema:
        options = schema["anyOf"]
        rest = set(schema) - {"anyOf"} - _ANNOTATIONS
        return not rest and all(o == {"type": "null"} or _any_string(o) for o in options)
    return schema.get("type") == "string" and not set(schema) - {"type"} - _ANNOTATIONS
