"""What the three group-robot clients (WeCom, DingTalk, Feishu) share: one HTTP client, the
wire format, and the HTTP-level failures.

* The body is JSON encoded with ``ensure_ascii=False`` and sent as ``application/json;
  charset=utf-8``: httpx's ``json=`` escapes every Chinese character to ``\\uXXXX``, which
  triples the size the platforms measure against their limits.
* Timeouts: 10 s for a message, 60 s for an upload (a province's monthly workbook).
* Connection errors, timeouts and HTTP 5xx are :class:`Transient`; HTTP 429 is
  :class:`RetryLater` (``Retry-After`` or 60 s); HTTP 403/404 mean the address is wrong
  (:class:`ChatGone`); an answer that is not JSON is :class:`Transient`. Everything else is
  the platform's errcode, which each client maps itself (all three answer HTTP 200 when they
  reject a message).

The webhook URL, the key or token inside it and the signing secret are credentials: messages
here are built from the platform's name and :func:`~monitor.alerts.plan.redact_webhook` only,
no exception raised from here chains an httpx exception (whose request holds the URL), and the
credentials are registered with :func:`~monitor.alerts.channels.telegram.guard_logs`, which
redacts them from the HTTP libraries' log lines.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit

import httpx
import structlog

from monitor.alerts.channels.base import (
    Answer,
    ChatGone,
    DeliveryError,
    Rejected,
    RetryLater,
    Transient,
)
from monitor.alerts.channels.telegram import guard_logs
from monitor.alerts.plan import Chat, Platform, redact_webhook

log = structlog.get_logger("orglife.channels")

Clock = Callable[[], dt.datetime]

SEND_TIMEOUT = 10.0
UPLOAD_TIMEOUT = 60.0
JSON_CONTENT_TYPE = "application/json; charset=utf-8"
DEFAULT_RETRY_AFTER = 60.0

# Shorter strings are not credentials (a path segment such as "send"); redacting them would
# mangle every log line.
_MIN_SECRET = 8


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def encode_json(body: Mapping[str, Any]) -> bytes:
    """``body`` as the platforms want it: UTF-8 JSON with Chinese left as it is."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def credentials(webhook: str) -> list[str]:
    """The secret parts of a webhook URL: its query values and, where
    :func:`~monitor.alerts.plan.redact_webhook` hides it (Feishu), the path's last segment."""
    parts = urlsplit(webhook.strip())
    found = [value for _, value in parse_qsl(parts.query, keep_blank_values=True)]
    if "/hook/" in parts.path or not parts.query:
        found.append(parts.path.rstrip("/").rpartition("/")[2])
    return [value for value in found if len(value) >= _MIN_SECRET]


@dataclass(frozen=True, slots=True)
class Reply:
    """A platform's parsed JSON answer and its HTTP status."""

    status: int
    body: dict[str, Any]


class RobotChannel:
    """A group robot reached by its webhook; subclasses build the bodies and read the codes."""

    platform: ClassVar[Platform]

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        timeout: float = SEND_TIMEOUT,
        upload_timeout: float = UPLOAD_TIMEOUT,
    ) -> None:
        self.clock: Clock = clock or utc_now
        self.timeout = timeout
        self.upload_timeout = upload_timeout
        self._http: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._guarded: set[str] = set()

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    # --- the HTTP client -------------------------------------------------------------------

    def _client(self) -> httpx.AsyncClient:
        """The client of the running event loop (httpx clients are bound to the loop that
        opened their connections; a new loop gets a new client)."""
        loop = asyncio.get_running_loop()
        if self._http is None or self._loop is not loop:
            self._http = httpx.AsyncClient(follow_redirects=False)
            self._loop = loop
        return self._http

    async def aclose(self) -> None:
        http, self._http = self._http, None
        if http is not None and self._loop is asyncio.get_running_loop():
            try:
                await http.aclose()
            except Exception as exc:  # closing must not fail a shutdown
                log.info(
                    "robot_close_failed", platform=self.platform.value, error=type(exc).__name__
                )
        self._loop = None

    # --- the Channel interface -----------------------------------------------------------------

    async def deliver(self, chat: Chat, text: str) -> Answer:
        """Send ``text`` and return the platform's answer; raises :class:`DeliveryError`."""
        raise NotImplementedError

    async def send(self, chat: Chat, text: str) -> int | None:
        """Deliver ``text``; robots have no message ids, so None."""
        await self.deliver(chat, text)
        return None

    async def send_document(
        self, chat: Chat, filename: str, data: bytes, caption: str | None = None
    ) -> int | None:
        """Robots that cannot send files refuse, before any request."""
        raise self.reject(chat, f"{self.platform.label}机器人不能发送文件")

    # --- credentials and wording -------------------------------------------------------------

    def webhook(self, chat: Chat) -> str:
        """The chat's webhook, its credentials registered for log redaction."""
        url = (chat.webhook or "").strip()
        if not url:
            gone = ChatGone(f"{self.platform.label}机器人未配置 webhook 地址，请重新添加")
            raise self.failed(chat, gone, None)
        fresh = [secret for secret in self._secrets(chat) if secret not in self._guarded]
        if fresh:  # once per secret: guard_logs also resets the HTTP loggers' levels
            guard_logs(*fresh)
            self._guarded.update(fresh)
        return url

    def _secrets(self, chat: Chat) -> list[str]:
        url = (chat.webhook or "").strip()
        found = [url, *credentials(url), chat.secret or ""]
        return [secret for secret in found if len(secret) >= _MIN_SECRET]

    def where(self, chat: Chat) -> str:
        """The robot as messages may name it: the platform and the redacted webhook."""
        return f"{self.platform.label}机器人 {redact_webhook(chat.webhook or '')}"

    def scrub(self, chat: Chat, text: str) -> str:
        """``text`` (a platform's errmsg) with the chat's credentials replaced by ``***``."""
        for secret in sorted(self._secrets(chat), key=len, reverse=True):
            text = text.replace(secret, "***")
        return text

    def failed(self, chat: Chat, error: DeliveryError, answer: Answer | None) -> DeliveryError:
        """``error`` carrying ``answer``, logged (without credentials); raise the result."""
        error.answer = answer
        log.info(
            "robot_delivery_failed",
            platform=self.platform.value,
            robot=redact_webhook(chat.webhook or ""),
            chat=chat.id,
            outcome=type(error).__name__,
            code=None if answer is None else answer.code,
            status=None if answer is None else answer.status,
        )
        return error

    # --- requests ------------------------------------------------------------------------------

    async def post(
        self,
        chat: Chat,
        url: str,
        *,
        content: bytes | None = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
        upload: bool = False,
    ) -> Reply:
        """POST a JSON body (``content``, already encoded) or a multipart upload (``files``) and
        return the parsed answer; raises :class:`DeliveryError` for HTTP-level failures."""
        headers = {"Content-Type": JSON_CONTENT_TYPE} if content is not None else {}
        timeout = self.upload_timeout if upload else self.timeout
        failure: DeliveryError | None = None
        response: httpx.Response | None = None
        try:
            response = await self._client().post(
                url,
                content=content,
                files=files,
                headers=headers,
                timeout=httpx.Timeout(timeout),
            )
        except httpx.TimeoutException:
            failure = Transient(f"{self.where(chat)} 在 {timeout:g} 秒内没有应答")
        except (httpx.UnsupportedProtocol, httpx.InvalidURL):
            failure = ChatGone(f"{self.where(chat)} 的地址无效，请检查 webhook 地址后重新添加")
        except (httpx.TransportError, OSError) as exc:
            failure = Transient(f"{self.where(chat)} 连接失败（{type(exc).__name__}）")
        # Raised outside the except blocks so the httpx exception (its request holds the URL)
        # is not chained as the context.
        if failure is not None or response is None:
            raise self.failed(chat, failure or Transient(f"{self.where(chat)} 没有应答"), None)
        return self._reply(chat, response)

    def _reply(self, chat: Chat, response: httpx.Response) -> Reply:
        status = response.status_code
        body = _json_object(response)
        answer = Answer(-1, f"HTTP {status}", status) if body is None else self.answer(body, status)
        answer = Answer(answer.code, self.scrub(chat, answer.message), answer.status)
        error: DeliveryError | None = None
        if status == 429:
            seconds = _retry_after(response.headers.get("Retry-After"), self.clock())
            error = RetryLater(
                seconds, reason=f"{self.where(chat)} 限流（HTTP 429），{seconds:g} 秒后重试"
            )
        elif status in (403, 404):
            error = ChatGone(
                f"{self.where(chat)} 拒绝访问（HTTP {status}），请检查 webhook 地址是否正确、"
                "机器人是否仍在群内，必要时重新复制地址后重新添加"
            )
        elif status >= 500:
            error = Transient(f"{self.where(chat)} 服务暂不可用（HTTP {status}）")
        elif body is None:
            error = Transient(f"{self.where(chat)} 的应答不是 JSON（HTTP {status}）")
        if error is not None:
            raise self.failed(chat, error, answer)
        assert body is not None
        return Reply(status, body)

    def answer(self, body: Mapping[str, Any], status: int) -> Answer:
        """The platform's code and message in a JSON answer (WeCom's and DingTalk's keys)."""
        return Answer(_int(body.get("errcode"), -1), str(body.get("errmsg") or ""), status)

    def judge(self, chat: Chat, reply: Reply) -> Answer:
        """The platform's answer when it accepted, else the :class:`DeliveryError` its code
        means (carrying the answer)."""
        answer = self.answer(reply.body, reply.status)
        answer = Answer(answer.code, self.scrub(chat, answer.message), answer.status)
        if answer.code == 0:
            return answer
        raise self.failed(chat, self.error_for(chat, answer), answer)

    def error_for(self, chat: Chat, answer: Answer) -> DeliveryError:
        """What a non-zero code means; subclasses know their platform's codes."""
        return Transient(f"{self.where(chat)} 暂时无法发送（{answer}）")

    def reject(self, chat: Chat, reason: str) -> DeliveryError:
        """A :class:`Rejected` decided before any request (too big, nothing to send)."""
        return self.failed(chat, Rejected(reason), None)


def _json_object(response: httpx.Response) -> dict[str, Any] | None:
    try:
        body = json.loads(response.content)
    except ValueError:  # JSONDecodeError and UnicodeDecodeError alike
        return None
    return body if isinstance(body, dict) else None


def _int(value: object, default: int) -> int:
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return default
    return default


def _retry_after(value: str | None, now: dt.datetime) -> float:
    """Seconds from a ``Retry-After`` header (seconds or an HTTP date); 60 when absent."""
    if not value:
        return DEFAULT_RETRY_AFTER
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.UTC)
    return max((when - now).total_seconds(), 0.0)
