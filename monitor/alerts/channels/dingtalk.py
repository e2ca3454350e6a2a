"""钉钉 (DingTalk) custom robots, and 浙政钉/专有钉钉 on their own hosts.

Messages go out as ``markdown``: ``title`` is the plain header (what the notification and the
chat list show, at most 64 characters here) and ``text`` the whole message, heading included,
since the title itself is not shown in the chat. A robot with a signing secret (加签) gets
``&timestamp=MS&sign=S`` appended, ``S`` being the URL-encoded base64 of
HMAC-SHA256(key=secret, msg=f"{MS}\\n{secret}"); DingTalk refuses a timestamp more than an
hour from its own clock. Robots cannot send files: :meth:`DingTalkChannel.send_document` is
:class:`Rejected` and the planner sends a link instead.

The errcodes DingTalk answers (HTTP 200 throughout), and what they mean here:

==================================================  ======================================
errcode                                             outcome
==================================================  ======================================
0                                                   delivered
130101 (more than 20 a minute: the robot is         :class:`RetryLater` (600 s, ``robot``)
throttled for 10 minutes)
410100 (sending too fast)                           :class:`RetryLater` (60 s)
310000 (signature, keyword or IP check failed,      :class:`ChatGone`: check the 加签 secret
or a timestamp off by over an hour)                 or choose 加签 (or fix the clock)
300001 (token does not exist), 400101 (no such      :class:`ChatGone`
access_token), 400102 (robot stopped), 400106
(no such robot), 400013 (group dissolved)
460101 (over 20000 bytes), 400105 (message type),   :class:`Rejected`
430101–430104 (unsafe link or content), 40035
(missing parameter), 43004 (Content-Type)
-1 (system busy) and anything else                  :class:`Transient`
==================================================  ======================================
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import quote_plus

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

TEXT_LIMIT = 20000  # UTF-8 bytes of the message
TITLE_LIMIT = 64  # characters of the plain title
FALLBACK_TITLE = "通知"

THROTTLED = 130101
TOO_FAST = 410100
SECURITY_MISMATCH = 310000
THROTTLE_WAIT = 600.0  # DingTalk blocks the robot for 10 minutes
TOO_FAST_WAIT = 60.0

_GONE = {
    300001: "webhook 中的 access_token 无效",
    400101: "webhook 中的 access_token 不存在",
    400102: "机器人已被停用",
    400106: "机器人已不存在",
    400013: "群已被解散",
}

_MALFORMED = {
    460101: "消息超过 20000 字节",
    400105: "不支持的消息类型",
    430101: "消息含有不安全的外链",
    430102: "消息含有不合适的文本",
    430103: "消息含有不合适的图片",
    430104: "消息含有不合适的内容",
    40035: "缺少参数",
    43004: "Content-Type 不合法",
}


def sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's signature for ``timestamp_ms``, URL-encoded as the query wants it."""
    message = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode("utf-8"), message, hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode("ascii"))


def markdown_title(text: str) -> str:
    """The plain title of a DingTalk message: its header, on one line, at most 64 characters."""
    title, _ = style_for(Platform.DINGTALK).title_and_body(text)
    title = " ".join(title.split())
    if len(title) > TITLE_LIMIT:
        title = title[: TITLE_LIMIT - 1] + "…"
    return title or FALLBACK_TITLE


class DingTalkChannel(RobotChannel):
    """钉钉 custom robots: markdown messages, signed when the robot has a secret."""

    platform = Platform.DINGTALK

    def signed(self, url: str, secret: str | None) -> str:
        """``url`` with ``timestamp`` and ``sign`` appended when there is a secret."""
        if not secret:
            return url
        timestamp = int(self.clock().timestamp() * 1000)
        separator = "&" if "?" in url else "?"
        return f"{url}{separator}timestamp={timestamp}&sign={sign(secret, timestamp)}"

    async def deliver(self, chat: Chat, text: str) -> Answer:
        """Send ``text`` as markdown and return DingTalk's answer (raises on failure)."""
        url = self.webhook(chat)
        size = len(text.encode("utf-8"))
        if size > TEXT_LIMIT:
            raise self.reject(chat, f"消息有 {size} 字节，超过钉钉消息 {TEXT_LIMIT} 字节的上限")
        body = encode_json(
            {"msgtype": "markdown", "markdown": {"title": markdown_title(text), "text": text}}
        )
        reply = await self.post(chat, self.signed(url, chat.secret), content=body)
        return self.judge(chat, reply)

    def error_for(self, chat: Chat, answer: Answer) -> DeliveryError:
        where, code = self.where(chat), answer.code
        if code == THROTTLED:
            return RetryLater(
                THROTTLE_WAIT,
                robot=True,
                reason=f"{where} 每分钟超过 20 条，被钉钉限流 10 分钟（{answer}）",
            )
        if code == TOO_FAST:
            return RetryLater(TOO_FAST_WAIT, reason=f"{where} 发送过快，被钉钉限流（{answer}）")
        if code == SECURITY_MISMATCH:
            return ChatGone(
                f"钉钉机器人安全设置校验失败（{answer}）：{_security_hint(chat, answer)}"
            )
        if code in _GONE:
            return ChatGone(
                f"钉钉机器人不可用：{_GONE[code]}（errcode {code}），"
                "请在群设置的机器人管理中复制新的 webhook 地址后重新添加"
            )
        if code in _MALFORMED:
            return Rejected(f"{where} 拒收此消息：{_MALFORMED[code]}（{answer}）")
        return Transient(f"{where} 暂时无法发送（{answer}）")


def _security_hint(chat: Chat, answer: Answer) -> str:
    """What the administrator should change for a 310000, by DingTalk's message."""
    message = answer.message.lower()
    if "timestamp" in message:
        return "签名时间戳与钉钉服务器时间相差超过 1 小时，请校准本机时钟"
    if "keyword" in message:
        return "消息不含机器人设置的自定义关键词；请在机器人安全设置中选择“加签”并填入其密钥"
    if "ip" in message.split() or "whitelist" in message:
        return "本机 IP 不在机器人的 IP 地址段内；请在机器人安全设置中选择“加签”并填入其密钥"
    if not chat.secret:
        return "机器人启用了“加签”，但未填写密钥；请填入机器人安全设置中的加签密钥"
    return (
        "签名不匹配，请检查填写的“加签”密钥是否与机器人安全设置中的一致，或在安全设置中选择“加签”"
    )
