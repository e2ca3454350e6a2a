"""``/api/v1/chats``: chats linked to orgs (Telegram groups, WeCom/DingTalk/Feishu robots);
admin only.

Listed as `orglife chats list --format json` lists them: a robot's webhook redacted, its
signing secret never (``signed`` says whether it has one). Linking takes the same inputs and
makes the same checks as `orglife chats add`; disabling stops sending to the chat's destination
(every link to the same Telegram chat or robot) until it is linked again. Changes go into the
audit trail as ``user:<name>``.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from monitor.accounts.model import Action
from monitor.alerts.destinations import DestinationError, chat_json, destination
from monitor.alerts.plan import Chat
from monitor.alerts.store import AlertStore
from monitor.core.errors import UnknownOrgError
from monitor.http.api.models import MAX_ID, ChatIn, ChatOut, DisableChatIn
from monitor.http.api.scoping import BODY, COMMON, refused
from monitor.http.auth import Caller, require
from monitor.http.deps import StateDep
from monitor.http.problems import not_found
from monitor.store import Store

router = APIRouter(prefix="/chats", tags=["群聊（管理员）"], responses=COMMON)

Admin = Annotated[Caller, Depends(require(Action.ADMIN))]
ChatId = Annotated[int, Path(ge=1, le=MAX_ID, description="The chat's id (not Telegram's).")]


def _shown(store: Store, chats: list[Chat]) -> list[dict[str, Any]]:
    names = {o.code: o.name for o in store.orgs({c.org for c in chats})}
    return [chat_json(c, names.get(c.org, "")) for c in chats]


async def _chat(store: Store, chat_id: int) -> Chat:
    found = await asyncio.to_thread(AlertStore(store).chats, id=chat_id)
    if not found:
        raise not_found()
    return found[0]


@router.get("", response_model=list[ChatOut])
async def list_chats(who: Admin, app: StateDep) -> list[dict[str, Any]]:
    """Every linked chat, by org and role."""

    def read() -> list[dict[str, Any]]:
        return _shown(app.store, AlertStore(app.store).chats())

    return await asyncio.to_thread(read)


@router.post("", status_code=201, response_model=ChatOut, responses=BODY)
async def add_chat(body: ChatIn, who: Admin, app: StateDep) -> dict[str, Any]:
    """Link a chat to an org: a Telegram ``chat_id``, or a group robot's ``webhook`` (and
    ``secret``). Linking an existing chat again re-enables it and takes the new secret."""
    try:
        checked = destination(body.channel, body.chat_id, body.webhook, body.secret)
    except DestinationError as exc:
        raise refused(exc, exc.field) from None
    try:
        chat = await asyncio.to_thread(
            AlertStore(app.store).add_chat,
            body.org.strip(),
            checked.chat_id,
            body.role,
            now=app.clock(),
            show_names=body.show_names,
            platform=checked.platform,
            webhook=checked.webhook,
            secret=checked.secret,
            actor=who.actor,
        )
    except UnknownOrgError as exc:
        raise refused(exc, "org") from None
    (shown,) = await asyncio.to_thread(_shown, app.store, [chat])
    return shown


@router.post("/{id}/disable", response_model=ChatOut, responses=BODY)
async def disable_chat(
    id: ChatId, body: DisableChatIn, who: Admin, app: StateDep
) -> dict[str, Any]:
    """Stop sending to the chat's destination (every link to the same chat or robot); its
    pending messages stay and go out if it is linked again."""
    chat = await _chat(app.store, id)
    reason = body.reason.strip()
    if not reason:
        raise refused("请写明停用的原因", "reason")
    await asyncio.to_thread(
        AlertStore(app.store).disable_chat,
        chat.address,
        reason,
        now=app.clock(),
        actor=who.actor,
    )
    (shown,) = await asyncio.to_thread(_shown, app.store, [await _chat(app.store, id)])
    return shown
