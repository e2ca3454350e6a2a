"""What the routes share, in one object: a route takes it as ``state: AppState`` through
:data:`State`, a FastAPI dependency (``Depends(app_state)``), so a new router needs no globals::

    @router.get("/api/v1/orgs")
    def orgs(state: State) -> list[Org]: ...
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request

from monitor.core.rules import RulePack
from monitor.core.workdays import WorkCalendar
from monitor.store import Store

if TYPE_CHECKING:
    from monitor.http.feeds import FeedService


@dataclass(frozen=True, slots=True)
class AppState:
    """The app's state: the feed service (cache, ETags) and what every route reads."""

    feeds: FeedService
    store: Store
    pack: RulePack
    workdays: WorkCalendar
    clock: Callable[[], dt.datetime]

    @classmethod
    def of(cls, feeds: FeedService) -> AppState:
        """The state around ``feeds``: its store, rule pack, work calendar and clock."""
        return cls(feeds, feeds.store, feeds.pack, feeds.workdays, feeds.clock)


def app_state(request: Request) -> AppState:
    """The dependency: the :class:`AppState` that :func:`monitor.http.app.create_app` set."""
    state = request.app.state.orglife
    assert isinstance(state, AppState)
    return state


State = Annotated[AppState, Depends(app_state)]
