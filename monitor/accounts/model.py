"""Roles, what each may do, and the part of the org tree a user works in; pure.

* ``admin`` — everything, everywhere;
* ``inspector`` — an org's subtree: read all, manage the ledger and exemptions, see reports;
* ``secretary`` — a branch and its party groups (党小组): read, create/edit/delete its meeting
  records, rectify its ledger items, see its calendar link;
* ``viewer`` — a subtree, read only.

Anything outside a user's scope is treated as if it did not exist (the HTTP layer answers 404),
so org codes cannot be enumerated.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    INSPECTOR = "inspector"
    SECRETARY = "secretary"
    VIEWER = "viewer"

    @property
    def label(self) -> str:
        return _ROLE_LABELS[self]


_ROLE_LABELS = {
    Role.ADMIN: "系统管理员",
    Role.INSPECTOR: "督查人员",
    Role.SECRETARY: "支部书记",
    Role.VIEWER: "只读用户",
}


class Action(StrEnum):
    """What a request does, as far as permissions go."""

    READ = "read"  # orgs, members, findings, meetings, ledger, calendar links
    REPORTS = "reports"  # monthly summaries
    EDIT_MEETINGS = "edit_meetings"  # create, edit, delete meeting records; import them
    RECTIFY = "rectify"  # record a rectification of a ledger item
    MANAGE_LEDGER = "manage_ledger"  # add and clear ledger items
    EXEMPTIONS = "exemptions"  # grant and revoke exemptions
    ADMIN = "admin"  # users, tokens, chats, every org


ALLOWED: dict[Role, frozenset[Action]] = {
    Role.ADMIN: frozenset(Action),
    Role.INSPECTOR: frozenset(
        {
            Action.READ,
            Action.REPORTS,
            Action.RECTIFY,
            Action.MANAGE_LEDGER,
            Action.EXEMPTIONS,
            Action.EDIT_MEETINGS,
        }
    ),
    Role.SECRETARY: frozenset({Action.READ, Action.EDIT_MEETINGS, Action.RECTIFY}),
    Role.VIEWER: frozenset({Action.READ, Action.REPORTS}),
}


def may(role: Role, action: Action) -> bool:
    return action in ALLOWED[role]


@dataclass(frozen=True, slots=True)
class User:
    """An account; ``org`` is None only for an admin."""

    id: int
    username: str
    role: Role
    org: str | None
    disabled: bool = False
    created: dt.datetime | None = None

    def may(self, action: Action) -> bool:
        return not self.disabled and may(self.role, action)


@dataclass(frozen=True, slots=True)
class Scope:
    """The orgs a user works in: every org (``everything``) or the codes in ``orgs``."""

    everything: bool
    orgs: frozenset[str] = frozenset()

    def __contains__(self, code: object) -> bool:
        return self.everything or code in self.orgs

    def within(self, codes: frozenset[str] | set[str] | list[str]) -> list[str]:
        """``codes`` that lie in the scope, sorted."""
        return sorted(c for c in codes if c in self)


EVERYTHING = Scope(True)


@dataclass(frozen=True, slots=True)
class Token:
    """An API token as listed: never its value, which is shown once when it is made."""

    id: int
    user: str
    name: str
    created: dt.datetime
    last_used: dt.datetime | None
    revoked: dt.datetime | None

    @property
    def active(self) -> bool:
        return self.revoked is None
