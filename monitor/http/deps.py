"""Dependencies the API routes take: the app's state (:mod:`monitor.http.state`) and its parts.

``StateDep`` is :data:`monitor.http.state.State`; ``StoreDep`` the store alone.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from monitor.core.rules import RulePack
from monitor.http.state import AppState, State, app_state
from monitor.store import Store

__all__ = ["AppState", "StateDep", "StoreDep", "pack", "state", "store"]

state = app_state
StateDep = State


def store(request: Request) -> Store:
    return app_state(request).store


def pack(request: Request) -> RulePack:
    return app_state(request).pack


StoreDep = Annotated[Store, Depends(store)]
