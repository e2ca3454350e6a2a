"""The one interface every chat platform implements, and the outcomes the dispatcher acts on.

A :class:`Channel` sends one text (already formatted for its platform by
:mod:`monitor.alerts.channels.style`) or one file to one :class:`~monitor.alerts.plan.Chat`,
and reports failure as a :class:`DeliveryError` saying what to do, not what HTTP said:

* :class:`RetryLater` — the platform's rate limit: wait ``seconds`` (and, with ``robot``, the
  whole robot is throttled that long: DingTalk's 10-minute block) and send again;
* :class:`Transient` — network trouble, timeouts, 5xx, an unknown answer: try again later;
* :class:`ChatGone` — the chat or robot is unusable until an administrator fixes it (bot
  removed, invalid webhook, wrong signing secret): the chat is disabled with ``reason``;
* :class:`ChatMoved` — Telegram only: the group became a supergroup with a new id;
* :class:`Rejected` — this message can never be sent (too long, malformed): drop it.

A return value is the platform's message id when it has one (Telegram), else None.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import structlog

from monitor.alerts.plan import Chat, Platform

log = structlog.get_logger("orglife.channels")


@dataclass(frozen=True, slots=True)
class Answer:
    """What a platform answered: its errcode (0: accepted) and message, as it said them."""

    code: int
    message: str
    status: int = 200  # the HTTP status

    def __str__(self) -> str:
        return f"errcode {self.code}: {self.message}"


class DeliveryError(Exception):
    """A message was not delivered; the subclass says what to do about it.

    ``answer`` is the platform's own answer when there was one (for `orglife chats test`).
    """

    answer: Answer | None = None


class RetryLater(DeliveryError):
    """Rate limited: send again after ``seconds``; ``robot`` when the whole robot is blocked."""

    def __init__(self, seconds: float, *, robot: bool = False, reason: str | None = None) -> None:
        super().__init__(reason or f"flood control: retry after {seconds:g} s")
        self.seconds = seconds
        self.robot = robot


class Transient(DeliveryError):
    """Network error, timeout or server error: try again later."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ChatGone(DeliveryError):
    """The chat cannot be written to until someone fixes it; ``reason`` says what to fix."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ChatMoved(DeliveryError):
    """The group was upgraded to a supergroup: the same chat under ``new_chat_id``."""

    def __init__(self, new_chat_id: int) -> None:
        super().__init__(f"chat migrated to {new_chat_id}")
        self.new_chat_id = new_chat_id


class Rejected(DeliveryError):
    """The platform refuses this message; sending it again will not help."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@runtime_checkable
class Channel(Protocol):
    async def send(self, chat: Chat, text: str) -> int | None:
        """Deliver ``text`` to ``chat``; the message id when the platform has one.

        Raises :class:`DeliveryError` (a subclass of it) when the message was not delivered.
        """
        ...

    async def send_document(
        self, chat: Chat, filename: str, data: bytes, caption: str | None = None
    ) -> int | None:
        """Deliver a file (the monthly workbook); raises like :meth:`send`."""
        ...

    async def aclose(self) -> None: ...


class ConsoleChannel:
    """No token configured: each message goes to ``emit`` (default: an INFO log event)."""

    def __init__(self, emit: Callable[[int, str], None] | None = None) -> None:
        self.emit = emit or _log_alert

    async def send(self, chat: Chat, text: str) -> int | None:
        self.emit(chat.chat_id or chat.id, text)
        return None

    async def send_document(
        self, chat: Chat, filename: str, data: bytes, caption: str | None = None
    ) -> int | None:
        size = f"{len(data) / 1024:.0f} KB" if len(data) >= 1024 else f"{len(data)} B"
        self.emit(chat.chat_id or chat.id, f"［文件：{filename}，{size}］{caption or ''}")
        return None

    async def aclose(self) -> None:
        return None


def _log_alert(chat_id: int, text: str) -> None:
    log.info("console_alert", chat_id=chat_id, text=text)


class Channels:
    """Routes each chat to its platform's channel; one object for the dispatcher."""

    def __init__(self, channels: Mapping[Platform, Channel]) -> None:
        self.channels = dict(channels)

    def __repr__(self) -> str:
        return f"Channels({', '.join(p.value for p in self.channels)})"

    def for_platform(self, platform: Platform) -> Channel:
        try:
            return self.channels[platform]
        except KeyError:
            raise Transient(f"no channel configured for {platform.value}") from None

    async def send(self, chat: Chat, text: str) -> int | None:
        return await self.for_platform(chat.platform).send(chat, text)

    async def send_document(
        self, chat: Chat, filename: str, data: bytes, caption: str | None = None
    ) -> int | None:
        return await self.for_platform(chat.platform).send_document(chat, filename, data, caption)

    async def probe(self, chat: Chat, text: str) -> Answer:
        """Send ``text`` and return the platform's answer (raises like :meth:`send`)."""
        channel = self.for_platform(chat.platform)
        deliver = getattr(channel, "deliver", None)
        if deliver is not None:
            answer: Answer = await deliver(chat, text)
            return answer
        message_id = await channel.send(chat, text)
        return Answer(0, "ok" if message_id is None else f"ok, message_id {message_id}")

    async def aclose(self) -> None:
        for channel in self.channels.values():
            try:
                await channel.aclose()
            except Exception as exc:  # one platform's close must not stop the others'
                log.info("channel_close_failed", error=type(exc).__name__)
