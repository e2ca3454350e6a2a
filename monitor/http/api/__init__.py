"""The JSON API under ``/api/v1``: one module per resource, each an ``APIRouter``.

Every route takes its :class:`~monitor.http.auth.Caller` (through :func:`auth.require`), and
every query runs inside the caller's scope: anything outside it is the uniform 404. Request
and response bodies are pydantic models (:mod:`.models`), so ``/api/openapi.json`` is complete.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from monitor.http.api import (
    calendars,
    chats,
    exemptions,
    findings,
    imports,
    ledger,
    meetings,
    members,
    orgs,
    reports,
    users,
)
from monitor.http.deps import AppState


def api_router() -> APIRouter:
    """Every ``/api/v1`` route."""
    router = APIRouter(prefix="/api/v1")
    for module in (
        orgs,
        findings,
        members,
        meetings,
        calendars,
        imports,
        ledger,
        exemptions,
        reports,
        chats,
        users,
    ):
        router.include_router(module.router)
    return router


def api_app(state: AppState) -> FastAPI:
    """The whole app around ``state`` (:func:`monitor.http.app.create_app`): what tests and
    benchmarks call; ``orglife serve`` runs the same."""
    from monitor.http.app import create_app  # the app includes this package's router

    return create_app(state)
