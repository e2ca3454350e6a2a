"""Telegram through python-telegram-bot, its errors mapped to the dispatcher's outcomes.

* flood control (HTTP 429) is :class:`RetryLater`; network trouble, timeouts, 5xx are
  :class:`Transient`;
* the bot removed or blocked, or the chat gone, is :class:`ChatGone`;
* a group that became a supergroup is :class:`ChatMoved`;
* any other 400 is :class:`Rejected`: the message can never be sent.

The bot token is a secret: it never appears in an exception raised from here, and the HTTP
client's request log (which prints URLs, the token included) is silenced and redacted.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import warnings
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import structlog

from monitor.alerts.channels.base import (
    ChatGone,
    ChatMoved,
    Rejected,
    RetryLater,
    Transient,
)
from monitor.alerts.plan import Chat

if TYPE_CHECKING:
    from telegram import Bot, Message

log = structlog.get_logger("orglife.channels")

TOKEN_ENV = "ORGLIFE_TELEGRAM_TOKEN"
API_URL_ENV = "ORGLIFE_TELEGRAM_API_URL"

# 400 descriptions that mean the chat is unreachable for good (until it is linked again), as
# opposed to this one message being unacceptable.
_GONE_MARKERS = (
    "chat not found",
    "bot was kicked",
    "not a member",
    "bot was blocked",
    "group chat was deactivated",
    "user is deactivated",
    "have no rights to send",
    "not enough rights to send",
    "chat_write_forbidden",
    "peer_id_invalid",
)

# Loggers that may print the bot API URL, which carries the token.
_URL_LOGGERS = (
    "httpx",
    "httpcore",
    "telegram.Bot",
    "telegram.ext.ExtBot",
    "telegram.BaseRequest",
    "telegram.HTTPXRequest",
)


class TelegramChannel:
    """Messages through the Bot API (python-telegram-bot), plain text, no link previews."""

    def __init__(self, token: str, base_url: str | None = None) -> None:
        if not token:
            raise ValueError("a Telegram channel needs a bot token")
        self._token = token
        self._base_url = base_url
        self._bot: Bot | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = False
        guard_logs(token)

    def __repr__(self) -> str:
        return f"TelegramChannel(base_url={self._base_url!r})"

    async def _client(self) -> Bot:
        """The bot, initialised on first use (once per event loop: httpx clients are bound to
        the loop that opened them)."""
        from telegram import Bot

        loop = asyncio.get_running_loop()
        if self._bot is None or self._loop is not loop:
            if self._base_url is None:
                self._bot = Bot(self._token)
            else:
                self._bot = Bot(self._token, base_url=self._base_url)
            self._loop = loop
            self._ready = False
        if not self._ready:
            await self._bot.initialize()
            self._ready = True
        return self._bot

    async def send(self, chat: Chat, text: str) -> int | None:
        from telegram import LinkPreviewOptions

        chat_id = _chat_id(chat)

        async def call(bot: Bot) -> Message:
            return await bot.send_message(
                chat_id=chat_id,
                text=text,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )

        return await self._call(call)

    async def send_document(
        self, chat: Chat, filename: str, data: bytes, caption: str | None = None
    ) -> int | None:
        from telegram import InputFile

        chat_id = _chat_id(chat)

        async def call(bot: Bot) -> Message:
            return await bot.send_document(
                chat_id=chat_id,
                document=InputFile(data, filename=filename),
                caption=caption,
                # A workbook of a province's month takes longer than a text message.
                write_timeout=60,
            )

        return await self._call(call)

    async def _call(self, call: Callable[[Bot], Awaitable[Message]]) -> int | None:
        """Run one Bot API call, mapping Telegram's errors to :class:`DeliveryError`."""
        from telegram import error

        try:
            message = await call(await self._client())
        except error.ChatMigrated as exc:
            raise ChatMoved(int(exc.new_chat_id)) from None
        except error.RetryAfter as exc:
            raise RetryLater(_seconds(exc)) from None
        except error.Forbidden as exc:
            raise ChatGone(self._scrub(exc)) from None
        except error.BadRequest as exc:  # before NetworkError: BadRequest is a NetworkError
            reason = self._scrub(exc)
            if any(marker in reason.lower() for marker in _GONE_MARKERS):
                raise ChatGone(reason) from None
            raise Rejected(reason) from None
        except error.TimedOut as exc:
            raise Transient(f"timed out: {self._scrub(exc)}") from None
        except error.NetworkError as exc:
            raise Transient(self._scrub(exc)) from None
        except error.InvalidToken:
            # The token is wrong (or revoked): nothing goes out until it is fixed; keep the rows.
            raise Transient("the bot token was rejected (401/404)") from None
        except error.TelegramError as exc:
            raise Transient(self._scrub(exc)) from None
        except (OSError, TimeoutError) as exc:
            raise Transient(f"{type(exc).__name__}: {self._scrub(exc)}") from None
        return int(message.message_id)

    def _scrub(self, exc: BaseException) -> str:
        return _redact(str(exc) or type(exc).__name__, self._token)

    async def aclose(self) -> None:
        bot, self._bot = self._bot, None
        if bot is not None and self._loop is asyncio.get_running_loop():
            try:
                await bot.shutdown()
            except Exception as exc:  # closing must not fail a shutdown
                log.info("telegram_close_failed", error=self._scrub(exc))
        self._ready = False


def _chat_id(chat: Chat) -> int:
    if chat.chat_id is None:
        raise Rejected(f"chat {chat.id} has no Telegram chat id")
    return chat.chat_id


def _seconds(exc: Exception) -> float:
    with warnings.catch_warnings():  # PTB 22 warns when retry_after is read as an int
        warnings.simplefilter("ignore")
        value: object = getattr(exc, "retry_after", 0)
    if isinstance(value, dt.timedelta):
        return max(value.total_seconds(), 0.0)
    if isinstance(value, int | float):
        return max(float(value), 0.0)
    return 0.0


def _redact(text: str, token: str) -> str:
    text = text.replace(token, "<token>")
    _, _, secret = token.partition(":")
    if len(secret) >= 8:
        text = text.replace(secret, "<token>")
    return text


class _Redact(logging.Filter):
    """Replaces registered secrets in log records (a second line of defence behind the levels)."""

    def __init__(self) -> None:
        super().__init__("orglife-redact")
        self.tokens: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.tokens:
            return True
        try:
            message = record.getMessage()
        except Exception:
            return True
        redacted = message
        # Longest first: a webhook URL is redacted whole before the key inside it.
        for token in sorted(self.tokens, key=len, reverse=True):
            redacted = _redact(redacted, token)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


_REDACT = _Redact()


def guard_logs(*secrets: str) -> None:
    """Silence httpx's per-request INFO lines (URLs with the token) and redact each of
    ``secrets`` from the loggers that could print a URL.

    A secret is a bot token or any other string (a robot's webhook URL, its key, its signing
    secret); empty strings are ignored (replacing "" would garble every line).
    """
    _REDACT.tokens.update(secret for secret in secrets if secret)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    for name in _URL_LOGGERS:
        logger = logging.getLogger(name)
        if _REDACT not in logger.filters:
            logger.addFilter(_REDACT)
