"""企业微信 (WeCom) group robots, and 政务微信 on its own host: the webhook's key is the only
credential.

Messages go out as ``markdown`` (the text is already in WeCom's markdown subset, see
:class:`~monitor.alerts.channels.style.MarkdownStyle`). A file is uploaded to
``…/cgi-bin/webhook/upload_media?key=KEY&type=file`` on the webhook's own host and then sent as
a ``file`` message; WeCom's file messages carry no caption, so ``caption`` is not sent (the
planner sends the summary text as a message of its own).

The errcodes WeCom answers (HTTP 200 throughout), and what they mean here:

=========================================  ===============================================
errcode                                    outcome
=========================================  ===============================================
0                                          delivered
45009 (api freq out of limit: 20/min)      :class:`RetryLater` (60 s)
93000 (invalid webhook url)                :class:`ChatGone`: copy the address again
40008, 40035, 40058, 40033, 44004, 45002   :class:`Rejected`: the message is malformed or
(msgtype, parameter, too long, characters,  too long (40058 says "markdown.content exceed
empty, too big)                             max length 4096")
40004, 40006, 44001, 45001 (the file)      :class:`Rejected`
40007 (invalid media_id)                   :class:`Transient`: sending again uploads afresh
-1 (system busy) and anything else         :class:`Transient`
=========================================  ===============================================
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from monitor.alerts.channels.base import (
    Answer,
    ChatGone,
    DeliveryError,
    Rejected,
    RetryLater,
    Transient,
)
from monitor.alerts.channels.webhook import RobotChannel, encode_json
from monitor.alerts.plan import Chat, Platform

MARKDOWN_LIMIT = 4096  # UTF-8 bytes of markdown.content
FILE_MIN = 5  # bytes, WeCom's documented range for upload_media
FILE_MAX = 20 * 1024 * 1024

RATE_LIMITED = 45009
INVALID_WEBHOOK = 93000
INVALID_MEDIA = 40007
RATE_LIMIT_WAIT = 60.0  # the limit is per minute

_MALFORMED = {
    40008: "消息类型不合法",
    40033: "消息含有不合法的字符",
    40035: "参数不合法",
    40058: "参数不合法（如内容超过长度限制）",
    44004: "消息内容为空",
    45002: "消息内容超过大小限制",
    40004: "文件类型不合法",
    40006: "文件大小不合法",
    44001: "文件为空",
    45001: "文件超过大小限制",
}


def upload_url(webhook: str) -> str:
    """The upload address for a send webhook: the same host and key, ``send`` replaced by
    ``upload_media``, and ``type=file`` (private deployments keep their host)."""
    parts = urlsplit(webhook.strip())
    head, _, last = parts.path.rpartition("/")
    if last != "send":
        raise ValueError("not a WeCom send webhook")
    query = [
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if name != "type"
    ]
    query.append(("type", "file"))
    return urlunsplit(
        (parts.scheme, parts.netloc, f"{head}/upload_media", urlencode(query), parts.fragment)
    )


class WeComChannel(RobotChannel):
    """企业微信 group robots: markdown messages and files."""

    platform = Platform.WECOM

    async def deliver(self, chat: Chat, text: str) -> Answer:
        """Send ``text`` as markdown and return WeCom's answer (raises on failure)."""
        url = self.webhook(chat)
        size = len(text.encode("utf-8"))
        if size > MARKDOWN_LIMIT:
            raise self.reject(
                chat, f"消息有 {size} 字节，超过企业微信 markdown 消息 {MARKDOWN_LIMIT} 字节的上限"
            )
        body = encode_json({"msgtype": "markdown", "markdown": {"content": text}})
        return self.judge(chat, await self.post(chat, url, content=body))

    async def send_document(
        self, chat: Chat, filename: str, data: bytes, caption: str | None = None
    ) -> int | None:
        """Upload ``data`` and send it as a file message; ``caption`` is not sent (WeCom's file
        messages have none)."""
        url = self.webhook(chat)
        if not FILE_MIN <= len(data) <= FILE_MAX:
            raise self.reject(
                chat, f"文件 {filename} 有 {len(data)} 字节，企业微信只接受 5 字节至 20 MB 的文件"
            )
        try:
            target = upload_url(url)
        except ValueError:
            raise self.reject(
                chat, f"{self.where(chat)} 不是发送消息的地址，无法推导文件上传地址"
            ) from None
        files = {"media": (filename, data, "application/octet-stream")}
        reply = await self.post(chat, target, files=files, upload=True)
        self.judge(chat, reply)
        media_id = reply.body.get("media_id")
        if not isinstance(media_id, str) or not media_id:
            answer = self.answer(reply.body, reply.status)
            raise self.failed(
                chat, Transient(f"{self.where(chat)} 上传文件后没有返回 media_id"), answer
            )
        body = encode_json({"msgtype": "file", "file": {"media_id": media_id}})
        self.judge(chat, await self.post(chat, url, content=body))
        return None

    def error_for(self, chat: Chat, answer: Answer) -> DeliveryError:
        where, code = self.where(chat), answer.code
        if code == RATE_LIMITED:
            return RetryLater(
                RATE_LIMIT_WAIT,
                reason=f"{where} 超过每分钟 20 条的发送频率（errcode {code}），稍后重试",
            )
        if code == INVALID_WEBHOOK:
            return ChatGone(
                f"企业微信机器人 webhook 无效（errcode {code}），"
                "请在群机器人设置中复制新的地址后重新添加"
            )
        if code in _MALFORMED:
            return Rejected(f"{where} 拒收此消息：{_MALFORMED[code]}（{answer}）")
        if code == INVALID_MEDIA:
            return Transient(f"{where} 找不到刚上传的文件（errcode {code}），将重新上传")
        return Transient(f"{where} 暂时无法发送（{answer}）")
