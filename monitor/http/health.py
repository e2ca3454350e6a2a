"""``GET /healthz``: whether this instance can reach its database (the container's health check)."""

from __future__ import annotations

import asyncio
from typing import Literal

import structlog
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from monitor.http.state import State

log = structlog.get_logger("orglife.web")
router = APIRouter(tags=["health"])


class Healthy(BaseModel):
    status: Literal["ok"]


class Unhealthy(BaseModel):
    status: Literal["error"]
    database: Literal["unreachable"]


_RESPONSES: dict[int | str, dict[str, object]] = {
    503: {"model": Unhealthy, "description": "The database does not answer."}
}


@router.head(
    "/healthz",
    operation_id="head_healthz",
    summary="Health, headers only",
    response_model=Healthy,
    response_description="The database answers.",
    responses=_RESPONSES,
)
@router.get(
    "/healthz",
    operation_id="get_healthz",
    summary="Health: the database answers",
    response_model=Healthy,
    response_description="The database answers.",
    responses=_RESPONSES,
)
async def healthz(state: State) -> Healthy | JSONResponse:
    try:
        await asyncio.to_thread(state.store.revision)
    except Exception as exc:  # any database failure makes the instance unhealthy
        log.warning("healthz_database_unreachable", error=type(exc).__name__)
        return JSONResponse(
            Unhealthy(status="error", database="unreachable").model_dump(), status_code=503
        )
    return Healthy(status="ok")
