"""What to tell which chat: final misses, reminders before a deadline, and late records (补录).

Pure: the evaluator's findings, what earlier cycles recorded (finding states and who got each
miss), the linked chats and an explicit ``as_of`` in; an :class:`AlertPlan` out — the finding
states to record and the :class:`Notice` lines to put in the outbox, each with a key that is
unique per chat, so a notice is enqueued once however often the cycle runs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from monitor.core.domain import Finding, Member, Org, OrgType, Status
from monitor.core.periods import Period
from monitor.core.rules import Rule, RulePack
from monitor.core.schedule import scheduled_day
from monitor.core.workdays import WorkCalendar
from monitor.ledger.model import LedgerItem, LedgerStatus
from monitor.text.render import render as render_text


class Platform(StrEnum):
    """Where a chat lives: Telegram (a chat id) or a group robot's webhook."""

    TELEGRAM = "telegram"
    WECOM = "wecom"  # 企业微信 (and 政务微信) group robot
    DINGTALK = "dingtalk"  # 钉钉 (and 浙政钉/专有钉钉) custom robot
    FEISHU = "feishu"  # 飞书 / Lark custom bot

    @property
    def label(self) -> str:
        """The platform's name as users know it."""
        return _PLATFORM_LABELS[self]


_PLATFORM_LABELS = {
    Platform.TELEGRAM: "Telegram",
    Platform.WECOM: "企业微信",
    Platform.DINGTALK: "钉钉",
    Platform.FEISHU: "飞书",
}


class ChatRole(StrEnum):
    BRANCH = "branch"  # the org's own chat: reminders and its own misses (and its groups')
    INSPECTOR = "inspector"  # misses across the org's subtree, cadres included


class NoticeKind(StrEnum):
    REMINDER = "reminder"
    MISSED = "missed"
    LATE = "late"  # a miss turned held by a late record (补录)
    OVERDUE = "overdue"  # a ledger item past its rectification deadline
    REPEAT = "repeat"  # an unrectified ledger item, again, to the branch (三色预警; escalation.py)
    RED = "red"  # a ledger item turned red, one level further up (三色预警; escalation.py)
    SUMMARY = "summary"  # the monthly summary's text, a message of its own
    REPORT = "report"  # the monthly summary's workbook, sent as a document


@dataclass(frozen=True, slots=True)
class Chat:
    """A chat linked to an org with a role.

    A Telegram chat is its ``chat_id`` (negative for groups); a group robot is its ``webhook``
    (the whole URL: private deployments run on other hosts) and, when the robot signs, its
    ``secret``. Both are credentials for a robot: never print them (see :meth:`redacted`).
    """

    id: int  # the row id (stable when Telegram migrates the chat)
    chat_id: int | None
    org: str
    role: ChatRole
    enabled: bool = True
    show_names: bool = False  # may members' names appear in this branch chat
    disabled_reason: str | None = None
    platform: Platform = Platform.TELEGRAM
    webhook: str | None = field(default=None, repr=False)
    secret: str | None = field(default=None, repr=False)
    address: str = ""  # one per destination (see :func:`address_of`); derived when empty
    welcomed: bool = True  # had its first digest of what was outstanding when it was linked

    def __post_init__(self) -> None:
        if not self.address:
            object.__setattr__(
                self, "address", address_of(self.platform, self.chat_id, self.webhook)
            )

    @property
    def redacted(self) -> str:
        """Where the chat is, safe to show: a Telegram id, or the webhook with its key hidden."""
        if self.platform is Platform.TELEGRAM:
            return str(self.chat_id)
        return redact_webhook(self.webhook or "")


def address_of(platform: Platform, chat_id: int | None, webhook: str | None) -> str:
    """The destination's key: chats with one address share one robot and its rate limit.

    ``telegram:<chat id>``, or the platform and a digest of the webhook (the URL is a secret,
    so it is not spread into other tables).
    """
    if platform is Platform.TELEGRAM:
        if chat_id is None:
            raise ValueError("a Telegram chat needs a chat id")
        return f"telegram:{chat_id}"
    if not webhook:
        raise ValueError(f"a {platform.value} chat needs a webhook URL")
    digest = hashlib.sha256(webhook.strip().encode()).hexdigest()[:24]
    return f"{platform.value}:{digest}"


def redact_webhook(url: str) -> str:
    """``url`` with its credential hidden: the query's values and the path's last part."""
    parts = urlsplit(url.strip())
    query = "&".join(f"{name}=***" for name, _ in parse_qsl(parts.query, keep_blank_values=True))
    path = parts.path
    if "/hook/" in path or not query:  # Feishu: the token is the last path segment
        head, _, tail = path.rstrip("/").rpartition("/")
        path = f"{head}/***" if tail else path
    return urlunsplit((parts.scheme, parts.netloc, path, query, ""))


@dataclass(frozen=True, slots=True)
class FindingKey:
    org: str
    member: str  # "" for the org's own findings
    rule: str
    period: str  # the label, as `orglife check` prints it

    @classmethod
    def of(cls, finding: Finding) -> FindingKey:
        return cls(finding.org, finding.member or "", finding.rule, finding.period.label)

    @property
    def subject(self) -> str:
        return self.member or self.org

    @property
    def token(self) -> str:
        """The key as one string, for outbox keys: ``org|member|rule|period``."""
        return f"{self.org}|{self.member}|{self.rule}|{self.period}"


class FindingState(StrEnum):
    MISSED = "missed"  # announced as missed
    LATE = "late"  # later held by a late record, and announced as such


@dataclass(frozen=True, slots=True)
class Notice:
    """One line for one chat; ``key`` is unique per chat (the outbox's dedupe key).

    A summary's text is a whole message in ``line``; a report carries its file in
    ``document`` (named ``filename``), ``line`` being its caption.
    """

    key: str
    chat: int  # Chat.id
    kind: NoticeKind
    finding: FindingKey | None
    line: str
    document: bytes | None = None
    filename: str | None = None


@dataclass(frozen=True, slots=True)
class AlertPlan:
    states: dict[FindingKey, FindingState] = field(default_factory=dict)  # new or changed
    notices: list[Notice] = field(default_factory=list)
    welcomed: frozenset[int] = frozenset()  # chats given their first digest by this plan


def plan(
    findings: Iterable[Finding],
    *,
    pack: RulePack,
    orgs: Mapping[str, Org],
    cadres: Mapping[str, Member],
    chats: Sequence[Chat],
    states: Mapping[FindingKey, FindingState],
    recipients: Mapping[FindingKey, frozenset[int]],
    workdays: WorkCalendar,
    as_of: dt.date,
    reminders: bool = True,
    cleared: Set[FindingKey] = frozenset(),
) -> AlertPlan:
    """What this cycle records and announces.

    ``states`` are the findings earlier cycles announced; ``recipients`` the chats that got
    each miss (a 补录 goes to exactly those). Orgs must include every ancestor of the judged
    orgs so inspector chats higher up are found. ``reminders`` off leaves reminders out (the
    service sends them once a day, at 09:00).

    A chat linked since the last cycle (not yet ``welcomed``) first catches up: every miss
    in its scope that was announced before it came, unless its ledger item was cleared
    (``cleared``), goes to it in the same digest as the new ones.
    """
    router = Router(chats, orgs)
    rules = {r.id: r for r in pack.rules}
    fresh = frozenset(c.id for c in chats if c.enabled and not c.welcomed)
    result = AlertPlan(welcomed=fresh)
    for finding in findings:
        rule = rules.get(finding.rule)
        if rule is None:
            continue
        key = FindingKey.of(finding)
        before = states.get(key)
        words = _Words(finding, rule, pack, orgs, cadres, workdays, as_of)
        if finding.status is Status.MISSED and before is None:
            result.states[key] = FindingState.MISSED
            for chat in router.for_miss(finding):
                line = words.missed(names=chat.role is ChatRole.INSPECTOR or chat.show_names)
                result.notices.append(
                    Notice(f"missed:{key.token}", chat.id, NoticeKind.MISSED, key, line)
                )
        elif finding.status is Status.MISSED and fresh and key not in cleared:
            for chat in router.for_miss(finding):
                if chat.id not in fresh:
                    continue
                line = words.missed(names=chat.role is ChatRole.INSPECTOR or chat.show_names)
                result.notices.append(
                    Notice(f"missed:{key.token}", chat.id, NoticeKind.MISSED, key, line)
                )
        elif finding.status is Status.HELD and before is FindingState.MISSED:
            result.states[key] = FindingState.LATE
            for chat in router.by_ids(recipients.get(key, frozenset())):
                line = words.late(names=chat.role is ChatRole.INSPECTOR or chat.show_names)
                result.notices.append(
                    Notice(f"late:{key.token}", chat.id, NoticeKind.LATE, key, line)
                )
        elif reminders and finding.status is Status.OPEN and finding.member is None:
            due = words.due()
            days_left = (due - as_of).days
            reminder = _reminder(days_left, pack.reminders_for(rule))
            if reminder is None:
                continue
            for chat in router.for_reminder(finding):
                line = words.reminder(due, days_left)
                notice_key = f"remind{reminder}:{key.token}"
                result.notices.append(Notice(notice_key, chat.id, NoticeKind.REMINDER, key, line))
    return result


def plan_overdue(
    items: Iterable[LedgerItem],
    *,
    chats: Sequence[Chat],
    orgs: Mapping[str, Org],
    cadres: Mapping[str, Member],
    rule_names: Mapping[str, str],
) -> list[Notice]:
    """One notice per overdue ledger item for each inspector chat above its org.

    The key carries how often the item was reopened, so an item that goes overdue again after
    a look-back reopened it is announced again, and otherwise once.
    """
    router = Router(chats, orgs)
    notices = []
    for item in items:
        if item.status is not LedgerStatus.OVERDUE:
            continue
        org = orgs.get(item.org)
        cadre = cadres.get(item.member) if item.member is not None else None
        line = render_text(
            "alerts/overdue.txt",
            org=item.org,
            org_name=org.name if org is not None else None,
            member=item.member,
            cadre_name=cadre.name if cadre is not None else None,
            issue=item.issue,
            rule_name=rule_names.get(item.rule, item.rule) if item.rule is not None else None,
            period=Period.parse(item.period) if item.period else None,
            deadline=item.deadline,
            id=item.id,
            opened=item.opened,
        )
        for chat in router.inspectors_above(item.org):
            key = f"overdue:{item.id}:{item.reopened}"
            notices.append(Notice(key, chat.id, NoticeKind.OVERDUE, None, line))
    return notices


def _reminder(days_left: int, reminders: tuple[int, ...]) -> int | None:
    """The reminder a deadline ``days_left`` away falls under: the nearest one not yet passed.

    With reminders (7, 1): 7 to 2 days left → the 7-day reminder, 1 or 0 → the 1-day one.
    """
    if days_left < 0:
        return None
    due = [r for r in reminders if days_left <= r]
    return min(due) if due else None


class Router:
    """Which enabled chats hear about an org, a cadre or a ledger item; one per destination.

    A branch chat covers its org and that org's party groups; inspector chats are looked for
    up the org's ancestors, the org itself first.
    """

    def __init__(self, chats: Sequence[Chat], orgs: Mapping[str, Org]) -> None:
        self.orgs = orgs
        self.by_id = {c.id: c for c in chats}
        self.branch: dict[str, list[Chat]] = {}
        self.inspector: dict[str, list[Chat]] = {}
        for chat in chats:
            if not chat.enabled:
                continue
            table = self.branch if chat.role is ChatRole.BRANCH else self.inspector
            table.setdefault(chat.org, []).append(chat)

    def ancestors(self, code: str) -> list[str]:
        """``code`` and the orgs above it, nearest first."""
        chain: list[str] = []
        current: str | None = code
        while current is not None and current not in chain and len(chain) < 64:
            chain.append(current)
            org = self.orgs.get(current)
            current = org.parent if org is not None else None
        return chain

    def branch_chats(self, code: str) -> list[Chat]:
        """A branch chat covers its org and that org's party groups."""
        found = list(self.branch.get(code, ()))
        org = self.orgs.get(code)
        if org is not None and org.type is OrgType.GROUP and org.parent is not None:
            found += self.branch.get(org.parent, ())
        return found

    @staticmethod
    def once_per_destination(chats: Iterable[Chat]) -> list[Chat]:
        """``chats`` without a second row for a destination already named."""
        seen: dict[str, Chat] = {}
        for chat in chats:
            seen.setdefault(chat.address, chat)
        return list(seen.values())

    def for_miss(self, finding: Finding) -> list[Chat]:
        inspectors = self.inspectors_above(finding.org)
        if finding.member is not None:  # a cadre's miss goes to inspectors only
            return inspectors
        return self.once_per_destination([*self.branch_chats(finding.org), *inspectors])

    def inspectors_above(self, code: str) -> list[Chat]:
        """Inspector chats of ``code`` and its ancestors, one per destination."""
        return self.once_per_destination(
            c for ancestor in self.ancestors(code) for c in self.inspector.get(ancestor, ())
        )

    def one_level_up(self, code: str) -> list[Chat]:
        """The inspector chats one level further up: those of the next org above the nearest
        org (``code`` included) that has inspector chats; the nearest's when none is higher."""
        levels = [a for a in self.ancestors(code) if self.inspector.get(a)]
        above = levels[1:2] or levels[:1]
        return self.once_per_destination(c for a in above for c in self.inspector[a])

    def for_reminder(self, finding: Finding) -> list[Chat]:
        return self.once_per_destination(self.branch_chats(finding.org))

    def by_ids(self, ids: Iterable[int]) -> list[Chat]:
        return [self.by_id[i] for i in sorted(ids) if i in self.by_id and self.by_id[i].enabled]


class _Words:
    """One finding's lines in a digest (the wording is in ``templates/alerts/``)."""

    def __init__(
        self,
        finding: Finding,
        rule: Rule,
        pack: RulePack,
        orgs: Mapping[str, Org],
        cadres: Mapping[str, Member],
        workdays: WorkCalendar,
        as_of: dt.date,
    ) -> None:
        self.as_of = as_of
        self.finding = finding
        self.rule = rule
        self.pack = pack
        self.org = orgs.get(finding.org)
        self.cadre = cadres.get(finding.member) if finding.member else None
        self.workdays = workdays

    def _subject(self, names: bool) -> dict[str, object]:
        """What ``alerts/_subject.txt`` needs; the cadre's name only where ``names`` allows."""
        f = self.finding
        return {
            "org": f.org,
            "org_name": self.org.name if self.org is not None else f.org,
            "member": f.member,
            "cadre_name": self.cadre.name if (self.cadre is not None and names) else None,
            "rule_name": self.rule.name,
            "period": f.period,
        }

    def due(self) -> dt.date:
        """The day the requirement is due: a fixed-day session's day (until it has passed),
        else the period's deadline (its end, or the end of its make-up window)."""
        period = self.finding.period
        deadline = self.rule.deadline(period)
        if self.rule.schedule is not None and self.org is not None:
            day = scheduled_day(
                self.rule.schedule, self.org, period.year, period.first_month, self.workdays
            ).day
            return day if day >= self.as_of else deadline
        return deadline

    def missed(self, *, names: bool) -> str:
        grace = self.rule.deadline(self.finding.period) + dt.timedelta(
            days=self.pack.grace_for(self.rule)
        )
        return render_text("alerts/missed.txt", grace=grace, **self._subject(names))

    def late(self, *, names: bool) -> str:
        return render_text("alerts/late.txt", **self._subject(names))

    def reminder(self, due: dt.date, days_left: int) -> str:
        counted = self.finding.evidence.counted
        return render_text(
            "alerts/reminder.txt",
            counted=counted,
            need=self.rule.count - counted,
            due=due,
            days_left=days_left,
            **self._subject(False),
        )
