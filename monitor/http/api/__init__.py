"""The JSON API under ``/api/v1``: one module per resource, each an ``APIRouter``.

Every route takes its :class:`~monitor.http.auth.Caller` (through :func:`auth.require`), and
every query runs inside the caller's scope: anything outside it is the uniform 404. Request
and response bodies are pydantic models (:mod:`.models`), so ``/api/openapi.json`` is complete.
"""

from __future__ import annotations

from fastapi import APIRouter

from monitor.http.api import chats, exemptions, findings, ledger, orgs, reports, users


def api_router() -> APIRouter:
    """Every ``/api/v1`` route."""
    router = APIRouter(prefix="/api/v1")
    for module in (orgs, findings, ledger, exemptions, reports, chats, users):
        router.include_router(module.router)
    return router
