"""The JSON API under ``/api/v1``: one module per resource, each an ``APIRouter``.

Every route takes its :class:`~monitor.http.auth.Caller` (through :func:`auth.require`), and
every query runs inside the caller's scope: anything outside it is the uniform 404. Request
and response bodies are pydantic models (:mod:`.models`), so ``/api/openapi.json`` is complete.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from monitor.http import auth, problems
from monitor.http.api import findings, orgs
from monitor.http.deps import AppState


def api_router() -> APIRouter:
    """Every ``/api/v1`` route."""
    router = APIRouter(prefix="/api/v1")
    for module in (orgs, findings):
        router.include_router(module.router)
    return router


def api_app(state: AppState) -> FastAPI:
    """The API alone (sign-in, ``/api/v1``, ``/api/openapi.json``) around ``state``: for tests,
    benchmarks and embedding; ``orglife serve`` mounts the same routers beside the feeds."""
    app = FastAPI(
        title="orglife API",
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.orglife = state
    problems.install(app)
    app.include_router(auth.router)
    app.include_router(api_router())
    return app
