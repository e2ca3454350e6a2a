"""Frozen domain objects: what the registers hold and what the evaluator says about them."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from monitor.core.periods import Period


class OrgType(StrEnum):
    COMMITTEE = "committee"  # 党委
    GENERAL_BRANCH = "general_branch"  # 党总支
    BRANCH = "branch"  # 党支部
    GROUP = "group"  # 党小组


class Role(StrEnum):
    SECRETARY = "secretary"  # 书记
    DEPUTY_SECRETARY = "deputy_secretary"  # 副书记
    COMMITTEE_MEMBER = "committee_member"  # 委员
    MEMBER = "member"  # 党员


COMMITTEE_ROLES = frozenset({Role.SECRETARY, Role.DEPUTY_SECRETARY, Role.COMMITTEE_MEMBER})


class MemberStatus(StrEnum):
    FULL = "full"  # 正式党员
    PROBATIONARY = "probationary"  # 预备党员


class Status(StrEnum):
    HELD = "held"
    MISSED = "missed"
    OPEN = "open"
    EXEMPT = "exempt"
    NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True, slots=True)
class Org:
    code: str
    name: str
    type: OrgType
    parent: str | None = None
    founded: dt.date | None = None
    party_day: str | None = None
    has_committee: bool | None = None
    # (start, end) of the org's themed Party day, end later than start; None: the rule's times.
    party_time: tuple[dt.time, dt.time] | None = None


@dataclass(frozen=True, slots=True)
class Member:
    id: str
    name: str
    org: str
    group: str | None = None
    role: Role = Role.MEMBER
    joined: dt.date | None = None
    status: MemberStatus = MemberStatus.FULL
    leader: bool = False


@dataclass(frozen=True, slots=True)
class Meeting:
    """One meeting record; a combined session names several kinds and counts for each."""

    org: str
    kinds: frozenset[str]
    date: dt.date
    expected: int | None = None
    attended: int | None = None
    lecturer: str | None = None
    topic: str | None = None
    attendees: tuple[str, ...] = ()
    recorded: dt.date | None = None  # the entry date (Beijing) that late-entry checks use
    id: int | None = None
    recorded_at: dt.datetime | None = None  # when orglife first saw the record (UTC, aware)
    for_period: str | None = None  # label of the earlier period it counts for, if it says so


class Evidence(NamedTuple):
    """Why a finding has its status: the records that counted and the best attendance seen.

    Findings and their evidence are tuples rather than dataclasses: a province evaluation makes
    millions of them, and a tuple is built about three times faster than a frozen dataclass.
    """

    counted: int = 0  # records that meet the rule
    seen: int = 0  # records of the rule's kinds, whether or not they met it
    records: tuple[int, ...] = ()  # ids of the records that met the rule (when loaded)
    best_ratio: float | None = None  # highest attended/expected among the records seen


NO_EVIDENCE = Evidence()


class Finding(NamedTuple):
    """The verdict on one (subject, rule, period)."""

    org: str
    member: str | None
    rule: str
    period: Period
    status: Status
    evidence: Evidence = NO_EVIDENCE
    exemption: str | None = None  # the reason an inspector excused the period (免于考核)

    @property
    def subject(self) -> str:
        """The member id for member rules, else the org code."""
        return self.member if self.member is not None else self.org


def record_key(meeting: Meeting) -> str:
    """The natural key of a record: re-importing it updates the row instead of adding one."""
    return natural_key(
        meeting.org,
        meeting.date.isoformat(),
        "+".join(sorted(meeting.kinds)),
        meeting.topic,
        meeting.lecturer,
    )


def natural_key(org: str, day: str, kinds: str, topic: str | None, lecturer: str | None) -> str:
    """:func:`record_key` from its parts: the ISO date and the sorted kinds joined by "+"."""
    parts = "\x1f".join((org, day, kinds, topic or "", lecturer or ""))
    return hashlib.blake2b(parts.encode(), digest_size=16).hexdigest()
