"""飞书 (Feishu) and Lark custom bots: the webhook's last path segment is the token.

Messages go out as an ``interactive`` card: the header line is the card's title (plain text)
and the rest its ``lark_md`` body. The header's colour follows the title: 红色 → red, 橙色 →
orange, 黄色 → yellow (escalations say which level they are), else blue. A bot with a signing
secret gets ``"timestamp"`` (seconds, as a string) and ``"sign"`` =
base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", msg=b"")) in the body. The request body may
be 20 KB: a bigger one is :class:`Rejected` before it is sent. Bots cannot send files:
:meth:`FeishuChannel.send_document` is :class:`Rejected` and the planner sends a link instead.

The codes Feishu answers (in ``code``, or ``StatusCode`` in older answers), and what they mean
here:

==============================================  =========================================
code                                            outcome
==============================================  =========================================
0                                               delivered
9499 "too many request" (over 5 a second or     :class:`RetryLater` (2 s: the per-second
100 a minute)                                   limit is the one usually hit)
9499 "Bad Request" (a body it cannot parse)     :class:`Rejected`
11232 (frequency limited under load, around     :class:`RetryLater` (60 s)
the hour and half hour)
19021 (bad signature or a timestamp off by      :class:`ChatGone`: check the secret (or
over an hour)                                   fix the clock)
19022 (IP not allowed), 19024 (keyword not      :class:`ChatGone`: choose 签名校验
found)
19001 "…access token invalid" (bad token)       :class:`ChatGone`: copy the address again
19007 (bot not enabled: removed or stopped)     :class:`ChatGone`
19001 (other parameters), 19002 (params error)  :class:`Rejected`
anything else                                   :class:`Transient`
==============================================  =========================================
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from monitor.alerts.channels.base import (
    Answer,
    ChatGone,
    DeliveryError,
    Rejected,
    RetryLater,
    Transient,
)
from monitor.alerts.channels.style import style_for
from monitor.alerts.channels.webhook import RobotChannel, encode_json
from monitor.alerts.plan import Chat, Platform

BODY_LIMIT = 20 * 1024  # bytes of the whole request body
FALLBACK_TITLE = "通知"

TOO_MANY = 9499
UNDER_LOAD = 11232
BAD_SIGNATURE = 19021
IP_NOT_ALLOWED = 19022
KEYWORD_NOT_FOUND = 19024
PARAM_INVALID = 19001
PARAMS_ERROR = 19002
BOT_NOT_ENABLED = 19007
# The per-second limit (5/s) is what a digest burst hits; the per-minute one (100/min) lasts
# longer, but the next RetryLater after 2 s says so again and the dispatcher backs off.
TOO_MANY_WAIT = 2.0
UNDER_LOAD_WAIT = 60.0

# Words in the title that choose the card header's colour, first match wins.
_TEMPLATES = (("红色", "red"), ("橙色", "orange"), ("黄色", "yellow"))
DEFAULT_TEMPLATE = "blue"


def sign(secret: str, timestamp: int) -> str:
    """Feishu's signature: the key is ``timestamp\\nsecret``, the message empty."""
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode("ascii")


def template_for(title: str) -> str:
    """The card header's colour for ``title``."""
    for word, template in _TEMPLATES:
        if word in title:
            return template
    return DEFAULT_TEMPLATE


def card(text: str) -> dict[str, Any]:
    """``text`` as an interactive card: its header line the title, the rest ``lark_md``."""
    title, body = style_for(Platform.FEISHU).title_and_body(text)
    title = title.strip() or FALLBACK_TITLE
    elements = [{"tag": "div", "text": {"tag": "lark_md", "content": body}}] if body else []
    return {
        "config": {"wide_screen_mode": True},
        "header": {
            "title": {"tag": "plain_text", "content": title},
            "template": template_for(title),
        },
        "elements": elements,
    }


class FeishuChannel(RobotChannel):
    """飞书 custom bots: interactive cards, signed when the bot has a secret."""

    platform = Platform.FEISHU

    def body(self, text: str, secret: str | None) -> bytes:
        """The request body for ``text``, with ``timestamp`` and ``sign`` when signed."""
        payload: dict[str, Any] = {}
        if secret:
            timestamp = int(self.clock().timestamp())
            payload = {"timestamp": str(timestamp), "sign": sign(secret, timestamp)}
        payload.update({"msg_type": "interactive", "card": card(text)})
        return encode_json(payload)

    async def deliver(self, chat: Chat, text: str) -> Answer:
        """Send ``text`` as a card and return Feishu's answer (raises on failure)."""
        url = self.webhook(chat)
        content = self.body(text, chat.secret)
        if len(content) > BODY_LIMIT:
            raise self.reject(
                chat, f"消息的请求体有 {len(content)} 字节，超过飞书 {BODY_LIMIT // 1024} KB 的上限"
            )
        return self.judge(chat, await self.post(chat, url, content=content))

    def answer(self, body: Mapping[str, Any], status: int) -> Answer:
        """``code``/``msg``, or the older ``StatusCode``/``StatusMessage``."""
        if "code" in body:
            code, message = body.get("code"), body.get("msg")
        else:
            code, message = body.get("StatusCode"), body.get("StatusMessage")
        number = code if isinstance(code, int) and not isinstance(code, bool) else -1
        return Answer(number, str(message or ""), status)

    def error_for(self, chat: Chat, answer: Answer) -> DeliveryError:
        where, code, message = self.where(chat), answer.code, answer.message.lower()
        if code == TOO_MANY and any(word in message for word in ("many", "limit", "frequen")):
            return RetryLater(TOO_MANY_WAIT, reason=f"{where} 发送过于频繁（{answer}）")
        if code == UNDER_LOAD:
            return RetryLater(UNDER_LOAD_WAIT, reason=f"{where} 被飞书限流（{answer}）")
        if code == BAD_SIGNATURE:
            return ChatGone(
                f"飞书机器人签名校验失败（{answer}）：请检查填写的签名密钥是否与机器人"
                "安全设置中的一致，并确认本机时钟准确（时间戳须在 1 小时以内）"
            )
        if code == IP_NOT_ALLOWED:
            return ChatGone(
                f"飞书机器人拒绝本机 IP（{answer}）：请在机器人安全设置中改用“签名校验”并填入其密钥"
            )
        if code == KEYWORD_NOT_FOUND:
            return ChatGone(
                f"消息不含飞书机器人设置的自定义关键词（{answer}）：请在机器人安全设置中改用"
                "“签名校验”并填入其密钥"
            )
        if code == PARAM_INVALID and "token" in message:
            return ChatGone(
                f"飞书机器人 webhook 无效（{answer}），请在群设置的机器人中复制新的地址后重新添加"
            )
        if code == BOT_NOT_ENABLED:
            return ChatGone(
                f"飞书机器人已停用或已被移出群（{answer}），请重新添加机器人并更新 webhook 地址"
            )
        if code in (TOO_MANY, PARAM_INVALID, PARAMS_ERROR):
            return Rejected(f"{where} 拒收此消息（{answer}）")
        return Transient(f"{where} 暂时无法发送（{answer}）")
