"""Short user-facing strings shared by several interfaces (CLI, bot, alerts)."""

from __future__ import annotations

CHAT_ROLE_ZH = {"branch": "支部群", "inspector": "督查群"}


def chat_label(org_name: str, role: str) -> str:
    """How a linked chat is named to people: the org's name and what the group is for.

    "幸福社区党支部（支部群）", not "幸福社区党支部支部群": an org's name often ends in 支部.
    """
    return f"{org_name}（{CHAT_ROLE_ZH[role]}）"
