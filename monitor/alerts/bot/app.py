"""The bot on python-telegram-bot: the command menu, the handlers and the Application.

Handlers are thin: they find out :class:`~monitor.alerts.bot.commands.Where` a message came
from, compute the reply with :class:`~monitor.alerts.bot.commands.ChatCommands` in a worker
thread (``asyncio.to_thread``) so the event loop the service shares with the HTTP server and
the scheduler never waits on the database, and send it in parts Telegram accepts.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

import structlog
from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.error import TelegramError
from telegram.ext import Application, CommandHandler, ContextTypes, MessageHandler, filters

from monitor.alerts.bot.commands import ChatCommands, Where
from monitor.alerts.channels import guard_logs
from monitor.core.rules import RulePack
from monitor.core.workdays import WorkCalendar
from monitor.store import Store
from monitor.text import bot as text

log = structlog.get_logger("orglife.bot")

BotApplication = Application[Any, Any, Any, Any, Any, Any]
Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]

COMMANDS: tuple[BotCommand, ...] = tuple(BotCommand(name, about) for name, about in text.MENU)

MESSAGE_LIMIT = 4000  # Telegram allows 4096 characters per message


def split_message(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """The text in parts of at most ``limit`` characters, cut between lines where possible."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current or not parts:
        parts.append(current)
    return parts


def _where(update: Update) -> Where | None:
    chat = update.effective_chat
    message = update.effective_message
    if chat is None or message is None:
        return None
    if chat.type == "private":
        private = True
    elif chat.type in ("group", "supergroup"):
        private = False
    else:
        return None  # channels: the bot does not take commands there
    user = update.effective_user
    anonymous = message.sender_chat is not None
    return Where(chat.id, private, None if user is None or anonymous else user.id)


def _args(message_text: str | None) -> str:
    """What follows the command word (``/record@bot …`` included)."""
    if not message_text:
        return ""
    parts = message_text.strip().split(maxsplit=1)
    return parts[1] if len(parts) > 1 else ""


async def _reply(update: Update, reply: str) -> None:
    message = update.effective_message
    if message is None or not reply:
        return
    for part in split_message(reply):
        await message.reply_text(part, link_preview_options=LinkPreviewOptions(is_disabled=True))


def _command(name: str, answer: Callable[[Where, str], str]) -> Handler:
    """A handler that computes ``answer`` in a worker thread and replies with it."""

    async def handle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        where = _where(update)
        message = update.effective_message
        if where is None or message is None:
            return
        log.info("bot_command", command=name, chat_id=where.chat_id, private=where.private)
        reply = await asyncio.to_thread(answer, where, _args(message.text))
        await _reply(update, reply)

    return handle


async def _unknown(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An unknown command gets a pointer to /help; one addressed to another bot, nothing."""
    message = update.effective_message
    if message is None or not message.text or _where(update) is None:
        return
    word = message.text.split(maxsplit=1)[0]
    _, at, addressee = word.partition("@")
    username = context.bot.username or ""
    if at and addressee.lower() != username.lower():
        return
    await _reply(update, text.unknown_command(word))


class _BotApplication(Application[Any, Any, Any, Any, Any, Any]):
    """Runs ``post_init`` (the command menu) on :meth:`initialize` as well: the service starts
    the bot with ``initialize``/``start``/``start_polling``, which never call it."""

    async def initialize(self) -> None:
        await super().initialize()
        if self.post_init is not None:
            await self.post_init(self)


async def _set_menu(application: BotApplication) -> None:
    """Set the command menu once (``run_polling`` calls ``post_init`` after ``initialize``)."""
    if application.bot_data.get("orglife_menu_set"):
        return
    try:
        await application.bot.set_my_commands(list(COMMANDS))
    except TelegramError as exc:
        log.warning("set_commands_failed", error=type(exc).__name__)
        return
    application.bot_data["orglife_menu_set"] = True


def build_application(
    store: Store,
    pack: RulePack,
    workdays: WorkCalendar,
    *,
    token: str,
    base_url: str | None,
    clock: Callable[[], dt.datetime],
    public_url: str | None = None,
) -> BotApplication:
    """The bot, its handlers registered; start it with ``initialize``, ``start`` and
    ``updater.start_polling`` (or ``run_polling``)."""
    if not token:
        raise ValueError("the bot needs a Telegram bot token")
    guard_logs(token)  # the HTTP client's request log prints URLs, which carry the token
    builder = (
        Application.builder()
        .application_class(_BotApplication)
        .token(token)
        .job_queue(None)  # the service has its own scheduler
    )
    if base_url:
        builder = builder.base_url(base_url)
    application: BotApplication = builder.post_init(_set_menu).build()
    commands = ChatCommands(store, pack, workdays, clock=clock, public_url=public_url)
    answers: Sequence[tuple[str, Callable[[Where, str], str]]] = (
        ("start", commands.start),
        ("link", commands.link),
        ("status", commands.status),
        ("record", commands.record),
        ("feed", commands.feed),
        ("summary", commands.summary),
        ("help", commands.help),
    )
    new_messages = filters.UpdateType.MESSAGE  # an edited /record must not record again
    for name, answer in answers:
        application.add_handler(CommandHandler(name, _command(name, answer), filters=new_messages))
    application.add_handler(MessageHandler(filters.COMMAND & new_messages, _unknown))

    async def migrated(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or message.migrate_to_chat_id is None:
            return
        old, new = message.chat.id, message.migrate_to_chat_id
        moved = await asyncio.to_thread(commands.migrate, old, new)
        log.info("chat_migrated", old=old, new=new, links=moved)

    application.add_handler(
        MessageHandler(filters.StatusUpdate.MIGRATE & filters.UpdateType.MESSAGE, migrated)
    )

    async def failed(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        error = context.error
        detail = str(error).replace(token, "<token>") if error is not None else ""
        log.error("bot_handler_failed", error=type(error).__name__, detail=detail[:500])
        if isinstance(update, Update) and update.effective_message is not None:
            with contextlib.suppress(TelegramError):
                await update.effective_message.reply_text(text.SORRY)

    application.add_error_handler(failed)
    return application
