"""Linked chats as given and as shown: what a chat to be linked must name (a Telegram chat id,
or a group robot's webhook), and a chat as JSON with its credentials hidden.

Pure. Shared by `orglife chats add|list` and ``/api/v1/chats``, so both refuse the same things
with the same words (:attr:`DestinationError.field` says which input is wrong) and list chats
in the same shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from monitor.alerts.plan import Chat, Platform, redact_webhook
from monitor.core.errors import OrglifeError
from monitor.text import cli as msg

# What each platform's webhook must contain (the credential), and how to say so.
WEBHOOK_SHAPES = {
    Platform.WECOM: ("key", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…"),
    Platform.DINGTALK: ("access_token", "https://oapi.dingtalk.com/robot/send?access_token=…"),
    Platform.FEISHU: ("/hook/", "https://open.feishu.cn/open-apis/bot/v2/hook/…"),
}


class DestinationError(OrglifeError):
    """A chat that cannot be linked as given; ``field`` names the input at fault
    (``chat_id``, ``webhook`` or ``secret``)."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class Destination:
    """Where a chat lives, checked: a Telegram ``chat_id``, or a robot's ``webhook``."""

    platform: Platform
    chat_id: int | None
    webhook: str | None
    secret: str | None


def check_webhook(platform: Platform, webhook: str) -> None:
    """A webhook that cannot be the platform's is refused before it is stored.

    Only the scheme and the credential's place are checked: private deployments (政务微信,
    专有钉钉) run the same API on their own hosts.
    """
    marker, expected = WEBHOOK_SHAPES[platform]
    parts = urlsplit(webhook)
    if marker.startswith("/"):
        found = marker in parts.path and not parts.path.endswith(marker)
    else:
        found = bool(dict(parse_qsl(parts.query)).get(marker))
    if parts.scheme not in ("http", "https") or not parts.netloc or not found:
        raise DestinationError(
            msg.bad_webhook(
                platform=platform.label, where=redact_webhook(webhook), expected=expected
            ),
            "webhook",
        )


def destination(
    platform: Platform, chat_id: int | None, webhook: str | None, secret: str | None
) -> Destination:
    """The destination to link, or :class:`DestinationError`: Telegram takes a chat id and
    neither webhook nor secret; a robot takes a webhook of its platform and no chat id."""
    if platform is Platform.TELEGRAM:
        if webhook is not None or secret is not None:
            raise DestinationError(
                msg.TELEGRAM_NO_WEBHOOK, "webhook" if webhook is not None else "secret"
            )
        if chat_id is None:
            raise DestinationError(msg.CHAT_NEEDS_ID, "chat_id")
        return Destination(platform, chat_id, None, None)
    if chat_id is not None:
        raise DestinationError(msg.ROBOT_NO_CHAT_ID.format(platform=platform.label), "chat_id")
    url = (webhook or "").strip()
    if not url:
        raise DestinationError(msg.ROBOT_NEEDS_WEBHOOK.format(platform=platform.label), "webhook")
    check_webhook(platform, url)
    return Destination(platform, None, url, secret)


def chat_json(chat: Chat, org_name: str) -> dict[str, Any]:
    """One chat as `orglife chats list --format json` prints it: a robot's webhook redacted,
    its secret never (``signed`` says whether it has one)."""
    return {
        "id": chat.id,
        "channel": chat.platform.value,
        "org": chat.org,
        "org_name": org_name,
        "role": chat.role.value,
        "disabled": not chat.enabled,
        "reason": chat.disabled_reason if not chat.enabled else None,
        "chat_id": chat.chat_id,
        "webhook": None if chat.webhook is None else chat.redacted,
        "signed": chat.secret is not None,
        "show_names": chat.show_names,
    }
