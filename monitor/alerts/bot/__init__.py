"""The Telegram bot: chat commands for linking chats and members, statuses, records and feeds.

Commands (long polling, python-telegram-bot's :class:`~telegram.ext.Application`):

* ``/start`` — the chat's id and how to link it (a group to an org, a member's private chat);
* ``/link CODE`` — redeem a one-time code: in a group it links the chat to an org as a branch or
  inspector chat, in a private chat it links the Telegram user to a member;
* ``/status`` — this period's statuses of the linked org(s), and recent final misses;
* ``/record 主题党日 2026-11-06 应到12 实到11 环境整治`` — a branch secretary or deputy secretary
  records a held meeting; it goes through the same reader and import as a register row;
* ``/feed`` — the calendar subscription links, in a private chat only;
* ``/summary`` — last month's required/held/missed and rate for the linked org's subtree;
* ``/help`` — the command list.

The parts: ``commands`` (:class:`ChatCommands`, each command's reply as a plain function on
the store, testable without python-telegram-bot), ``record`` (reading a ``/record`` line into a
register row, and its refusals), ``app`` (the python-telegram-bot wiring, ``build_application``).
Every reply's wording is in :mod:`monitor.text.bot`. Logs are English and never carry the token.
"""

from monitor.alerts.bot.app import (
    COMMANDS,
    MESSAGE_LIMIT,
    BotApplication,
    build_application,
    split_message,
)
from monitor.alerts.bot.commands import ChatCommands, Where
from monitor.text.bot import HELP

__all__ = [
    "COMMANDS",
    "HELP",
    "MESSAGE_LIMIT",
    "BotApplication",
    "ChatCommands",
    "Where",
    "build_application",
    "split_message",
]
