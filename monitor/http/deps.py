"""What every route gets from the running service: the store, the rules, the clock.

The app keeps one :class:`AppState` on ``app.state.orglife``; routes take what they need with
``Depends(store)``, ``Depends(pack)`` … so a test builds an app around any store.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from monitor.core.rules import RulePack
from monitor.core.schedule import SHANGHAI
from monitor.core.workdays import WorkCalendar
from monitor.store import Store


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class AppState:
    """The service's parts the HTTP routes use."""

    store: Store
    pack: RulePack
    workdays: WorkCalendar
    clock: Callable[[], dt.datetime] = field(default=_utc_now)
    public_url: str | None = None
    secure_cookies: bool = False  # set the session cookie's Secure flag (HTTPS deployments)

    def today(self) -> dt.date:
        """Today in Beijing time, the day judgements are made as of."""
        return self.clock().astimezone(SHANGHAI).date()


def state(request: Request) -> AppState:
    found: AppState = request.app.state.orglife
    return found


def store(request: Request) -> Store:
    return state(request).store


def pack(request: Request) -> RulePack:
    return state(request).pack


StateDep = Annotated[AppState, Depends(state)]
StoreDep = Annotated[Store, Depends(store)]
