"""What the routes share, in one object: a route takes it as ``state: AppState`` through
:data:`State`, a FastAPI dependency (``Depends(app_state)``), so a new router needs no globals::

    @router.get("/api/v1/orgs")
    def orgs(state: State) -> list[Org]: ...
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request

from monitor.attachments import AttachmentStore
from monitor.core.rules import RulePack
from monitor.core.schedule import SHANGHAI
from monitor.core.workdays import WorkCalendar
from monitor.store import Store

if TYPE_CHECKING:
    from monitor.http.feeds import FeedService


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class AppState:
    """The app's state: what every route reads, and the feed service (cache, ETags) when the
    app serves feeds."""

    store: Store
    pack: RulePack
    workdays: WorkCalendar
    clock: Callable[[], dt.datetime] = _utc_now
    public_url: str | None = None  # where links point (ORGLIFE_PUBLIC_URL)
    secure_cookies: bool = False  # the session cookie's Secure flag (HTTPS deployments)
    feeds: FeedService | None = None
    data_dir: Path | None = None  # uploaded files (ORGLIFE_DATA_DIR; see :func:`data_dir_for`)

    @classmethod
    def of(
        cls, feeds: FeedService, *, public_url: str | None = None, secure_cookies: bool = False
    ) -> AppState:
        """The state around ``feeds``: its store, rule pack, work calendar and clock."""
        return cls(
            feeds.store,
            feeds.pack,
            feeds.workdays,
            feeds.clock,
            public_url=public_url,
            secure_cookies=secure_cookies,
            feeds=feeds,
        )

    def today(self) -> dt.date:
        """Today in Beijing time, the day judgements are made as of."""
        return self.clock().astimezone(SHANGHAI).date()

    def attachments(self) -> AttachmentStore:
        """The attachments of meeting records and ledger items, under the data directory."""
        root = self.data_dir or data_dir_for(self.store)
        return AttachmentStore(self.store, root / "attachments")

    def feed_service(self) -> FeedService:
        """The feed service; an app built without one builds it on first use."""
        if self.feeds is None:
            from monitor.http.feeds import FeedService

            object.__setattr__(
                self, "feeds", FeedService(self.store, self.pack, self.workdays, clock=self.clock)
            )
        assert self.feeds is not None
        return self.feeds


def data_dir_for(store: Store) -> Path:
    """Where uploads go: ``ORGLIFE_DATA_DIR``; else beside a SQLite file (``orglife.db`` →
    ``orglife.db.files/``); else ``./orglife-files`` (set the variable on PostgreSQL, where every
    replica must see the same directory)."""
    configured = os.environ.get("ORGLIFE_DATA_DIR")
    if configured:
        return Path(configured)
    database = store.engine.url.database
    if store.dialect == "sqlite" and database and database != ":memory:":
        return Path(f"{database}.files")
    return Path("orglife-files")


def app_state(request: Request) -> AppState:
    """The dependency: the :class:`AppState` that :func:`monitor.http.app.create_app` set."""
    state = request.app.state.orglife
    assert isinstance(state, AppState)
    return state


State = Annotated[AppState, Depends(app_state)]
