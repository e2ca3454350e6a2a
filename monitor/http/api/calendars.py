"""``GET /api/v1/orgs/{code}/calendar``: an org's calendar feed link, inside the caller's scope.

The link is the one ``orglife feeds url CODE`` prints (its token made on first use, as the CLI
makes it), on the service's public URL (``AppState.public_url``, else ``ORGLIFE_PUBLIC_URL``),
in its https form and its ``webcal://`` form. A branch's feed holds its groups' meetings too;
a committee's is the oversight feed of its subtree. Leading cadres' own feeds are not here:
each gets theirs from the bot's ``/feed``. The token is a secret capability, so no log line
names it; ``orglife feeds rotate`` replaces it.
"""

from __future__ import annotations

import asyncio
import datetime as dt

import structlog
from fastapi import APIRouter
from pydantic import BaseModel, Field

from monitor.calendar.service import feed_url, public_url, subject, webcal_url
from monitor.calendar.store import FeedStore
from monitor.core.errors import OrglifeError
from monitor.http.auth import Reader
from monitor.http.deps import StateDep
from monitor.http.problems import ApiError, Problem, not_found
from monitor.store import Store

log = structlog.get_logger("orglife.api")

router = APIRouter(tags=["日历订阅"], responses={404: {"model": Problem}})


class CalendarOut(BaseModel):
    """Where a calendar app subscribes to an org's feed."""

    code: str = Field(description="组织编码")
    title: str = Field(description="日历的名称")
    kind: str = Field(
        description="branch（支部，含党小组）、group（党小组）或 oversight（上级督查）"
    )
    url: str = Field(description="订阅地址（https 或 http）", json_schema_extra={"format": "uri"})
    webcal: str = Field(description="同一地址的 webcal:// 形式（苹果日历、Outlook）")


def calendar_link(store: Store, code: str, base: str, now: dt.datetime) -> CalendarOut | None:
    """The link of the org ``code``'s feed (its token made on first use); None for no org."""
    if not store.orgs([code]):  # a member id is a feed subject too, but not an org
        return None
    who = subject(store, code)
    token = FeedStore(store).token(who.code, now=now)
    url = feed_url(token.token, base)
    return CalendarOut(
        code=who.code, title=who.title, kind=who.kind.value, url=url, webcal=webcal_url(url)
    )


@router.get(
    "/orgs/{code}/calendar",
    response_model=CalendarOut,
    responses={503: {"model": Problem, "description": "未配置可用的公开地址"}},
)
async def org_calendar(code: str, who: Reader, app: StateDep) -> CalendarOut:
    """The org's feed link (made on first use, as `orglife feeds url` makes it)."""
    who.check(code)
    try:
        base = app.public_url or public_url()
    except OrglifeError as exc:
        raise ApiError(503, f"服务的公开地址不可用：{exc}") from None
    found = await asyncio.to_thread(calendar_link, app.store, code, base, app.clock())
    if found is None:
        raise not_found()
    log.info("calendar_link_shown", org=code, by=who.actor)
    return found
