"""Where alert messages go: one :class:`Channel` interface, one module per platform.

* :mod:`.base` — the interface, the outcomes (:class:`DeliveryError` and its subclasses), the
  console channel and the :class:`Channels` router;
* :mod:`.style` — how a digest looks and how big it may be on each platform (pure);
* :mod:`.telegram` — Telegram through python-telegram-bot;
* :mod:`.webhook` and :mod:`.wecom`, :mod:`.dingtalk`, :mod:`.feishu` — the group robots, each
  a small client on httpx that reads the platform's errcode (all three answer HTTP 200 when
  they reject a message).

Tokens, webhook URLs and signing secrets are credentials: they never appear in an exception
raised from here or in the log.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping

from monitor.alerts.channels.base import (
    Answer,
    Channel,
    Channels,
    ChatGone,
    ChatMoved,
    ConsoleChannel,
    DeliveryError,
    Rejected,
    RetryLater,
    Transient,
)
from monitor.alerts.channels.telegram import API_URL_ENV, TOKEN_ENV, TelegramChannel, guard_logs
from monitor.alerts.plan import Platform

__all__ = [
    "API_URL_ENV",
    "TOKEN_ENV",
    "Answer",
    "Channel",
    "Channels",
    "ChatGone",
    "ChatMoved",
    "ConsoleChannel",
    "DeliveryError",
    "Rejected",
    "RetryLater",
    "TelegramChannel",
    "Transient",
    "channel_from_env",
    "guard_logs",
    "telegram_from_env",
]


def telegram_from_env(
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


def channel_from_env(
    environ: Mapping[str, str] = os.environ,
    *,
    console: Callable[[int, str], None] | None = None,
    clock: Callable[[], dt.datetime] | None = None,
) -> Channels:
    """Every platform: Telegram as :func:`telegram_from_env` gives it, and the three group
    robots (each chat carries its own webhook, so they need no settings). ``clock`` stamps
    the robots' signatures (default: the system clock)."""
    from monitor.alerts.channels.dingtalk import DingTalkChannel
    from monitor.alerts.channels.feishu import FeishuChannel
    from monitor.alerts.channels.wecom import WeComChannel

    return Channels(
        {
            Platform.TELEGRAM: telegram_from_env(environ, console=console),
            Platform.WECOM: WeComChannel(clock=clock),
            Platform.DINGTALK: DingTalkChannel(clock=clock),
            Platform.FEISHU: FeishuChannel(clock=clock),
        }
    )
