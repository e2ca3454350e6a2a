"""The problem ledger as people see it: items with their warning colours, and as JSON.

Shared by `orglife ledger list` / `export` and the HTTP API (``/api/v1/ledger``), so both show
the same colours and the same JSON shape.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from monitor.core.domain import Member, Org
from monitor.core.rules import Escalation
from monitor.ledger.model import STATUS_LABELS, LedgerItem, LedgerStatus
from monitor.ledger.store import LedgerStore
from monitor.ledger.warning import ItemWarning, warnings
from monitor.store import Store


def coloured(
    store: Store,
    codes: Collection[str] | None,
    status: LedgerStatus | None,
    *,
    today: dt.date,
    escalation: Escalation,
) -> tuple[list[LedgerItem], dict[int, ItemWarning]]:
    """The items (of ``codes``, with ``status``) and their warning colours (三色预警) on
    ``today``; colours are judged on every item of the orgs (earlier periods' items count)."""
    every = LedgerStore(store).items(codes)
    colours = warnings(every, today=today, escalation=escalation)
    items = [i for i in every if status is None or i.status is status]
    return items, colours


def item_names(
    store: Store, items: Sequence[LedgerItem]
) -> tuple[dict[str, Org], dict[str, Member]]:
    """The owner orgs and the cadres the items name, by code and id."""
    orgs = {o.code: o for o in store.orgs({i.org for i in items})}
    with_member = {i.org for i in items if i.member is not None}
    wanted = {i.member for i in items}
    members = {m.id: m for m in store.members(with_member) if m.id in wanted} if with_member else {}
    return orgs, members


def item_json(
    item: LedgerItem,
    orgs: Mapping[str, Org],
    members: Mapping[str, Member],
    warning: ItemWarning | None = None,
) -> dict[str, Any]:
    """The JSON shape of `orglife ledger list --format json` (subject, rule, period, status and
    deadline are the contract); ``warning`` is the colour, "red", "yellow" or null."""
    org = orgs.get(item.org)
    member = members.get(item.member) if item.member is not None else None
    return {
        "id": item.id,
        "subject": item.subject,
        "rule": item.rule,
        "period": item.period,
        "status": item.status.value,
        "deadline": item.deadline.isoformat(),
        "org": item.org,
        "org_name": org.name if org is not None else None,
        "member": item.member,
        "member_name": member.name if member is not None else None,
        "source": item.source.value,
        "issue": item.issue,
        "opened": item.opened.isoformat(),
        "rectification": item.rectification,
        "cleared": item.cleared.isoformat() if item.cleared is not None else None,
        "reopened": item.reopened,
        "status_zh": STATUS_LABELS[item.status],
        "warning": warning.colour.value if warning is not None else None,
        "warning_zh": warning.label if warning is not None else None,
    }
