"""Where alert messages go: Telegram through python-telegram-bot, or the log when no token is set.

A :class:`Channel` sends one text to one chat and says what went wrong in terms the dispatcher
acts on (:class:`DeliveryError` and its subclasses), not in HTTP or library terms:

* :class:`RetryLater` — flood control (HTTP 429): wait ``seconds`` and send again;
* :class:`Transient` — network trouble, timeouts, 5xx: try again later;
* :class:`ChatGone` — the bot was removed or blocked, or the chat no longer exists;
* :class:`ChatMoved` — the group became a supergroup with a new id;
* :class:`Rejected` — Telegram refuses this message (any other 400): it can never be sent.

The bot token is a secret: it never appears in an exception raised from here, and the HTTP
client's request log (which prints URLs, the token included) is silenced and redacted.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import warnings
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import structlog

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


class DeliveryError(Exception):
    """A message was not delivered; the subclass says what to do about it."""


class RetryLater(DeliveryError):
    """Flood control: send again after ``seconds``."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"flood control: retry after {seconds:g} s")
        self.seconds = seconds


class Transient(DeliveryError):
    """Network error, timeout or server error: try again later."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ChatGone(DeliveryError):
    """The bot can no longer write to this chat (removed, blocked, chat deleted)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ChatMoved(DeliveryError):
    """The group was upgraded to a supergroup: the same chat under ``new_chat_id``."""

    def __init__(self, new_chat_id: int) -> None:
        super().__init__(f"chat migrated to {new_chat_id}")
        self.new_chat_id = new_chat_id


class Rejected(DeliveryError):
    """Telegram refuses this message; sending it again will not help."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@runtime_checkable
class Channel(Protocol):
    async def send(self, chat_id: int, text: str) -> int | None:
        """Deliver ``text`` to ``chat_id``; the message id when the channel has one.

        Raises :class:`DeliveryError` (a subclass of it) when the message was not delivered.
        """
        ...

    async def send_document(
        self, chat_id: int, filename: str, data: bytes, caption: str | None = None
    ) -> int | None:
        """Deliver a file (the monthly workbook); raises like :meth:`send`."""
        ...

    async def aclose(self) -> None: ...


class ConsoleChannel:
    """No token configured: each message goes to ``emit`` (default: an INFO log event)."""

    def __init__(self, emit: Callable[[int, str], None] | None = None) -> None:
        self.emit = emit or _log_alert

    async def send(self, chat_id: int, text: str) -> int | None:
        self.emit(chat_id, text)
        return None

    async def send_document(
        self, chat_id: int, filename: str, data: bytes, caption: str | None = None
    ) -> int | None:
        size = f"{len(data) / 1024:.0f} KB" if len(data) >= 1024 else f"{len(data)} B"
        self.emit(chat_id, f"［文件：{filename}，{size}］{caption or ''}")
        return None

    async def aclose(self) -> None:
        return None


def _log_alert(chat_id: int, text: str) -> None:
    log.info("console_alert", chat_id=chat_id, text=text)


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

    async def send(self, chat_id: int, text: str) -> int | None:
        from telegram import LinkPreviewOptions

        async def call(bot: Bot) -> Message:
            return await bot.send_message(
                chat_id=chat_id,
                text=text,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )

        return await self._call(call)

    async def send_document(
        self, chat_id: int, filename: str, data: bytes, caption: str | None = None
    ) -> int | None:
        from telegram import InputFile

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


def channel_from_env(
    environ: Mapping[str, str] = os.environ,
    *,
    console: Callable[[int, str], None] | None = None,
) -> Channel:
    """Telegram when ``ORGLIFE_TELEGRAM_TOKEN`` is set (at ``ORGLIFE_TELEGRAM_API_URL`` if
    given), else the console (``console`` or the log)."""
    token = environ.get(TOKEN_ENV, "").strip()
    if not token:
        return ConsoleChannel(console)
    base_url = environ.get(API_URL_ENV, "").strip() or None
    return TelegramChannel(token, base_url)


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
    """Replaces bot tokens in log records (a second line of defence behind the levels)."""

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
        for token in self.tokens:
            redacted = _redact(redacted, token)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


_REDACT = _Redact()


def guard_logs(token: str) -> None:
    """Silence httpx's per-request INFO lines (URLs with the token) and redact the token from
    the loggers that could print the API URL."""
    _REDACT.tokens.add(token)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    for name in _URL_LOGGERS:
        logger = logging.getLogger(name)
        if _REDACT not in logger.filters:
            logger.addFilter(_REDACT)
