"""The bot's commands as plain synchronous functions: who is asking, and the reply text.

:class:`ChatCommands` answers each command from a :class:`Where` and the text after the command
word, on the store, without python-telegram-bot (the wiring in ``app`` runs it in a worker
thread). The wording is :mod:`monitor.text.bot`'s.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import structlog

from monitor.alerts.bot.record import parse_record, refusal
from monitor.alerts.plan import ChatRole
from monitor.alerts.store import AlertStore, LinkError
from monitor.calendar.service import feed_url, subject, webcal_url
from monitor.calendar.store import FeedStore
from monitor.check import Check, run_check
from monitor.core.domain import Finding, Member, Org, Role, Status
from monitor.core.errors import OrglifeError, RegisterError
from monitor.core.explain import STATUS_ZH
from monitor.core.rules import Rule, RulePack
from monitor.core.schedule import SHANGHAI, scheduled_day
from monitor.core.workdays import WorkCalendar
from monitor.registers.readers import meetings_from_rows
from monitor.reporting import render_md
from monitor.reporting.build import build_summary
from monitor.reporting.summary import MonthlySummary, parse_month
from monitor.store import Store
from monitor.text import bot as text

log = structlog.get_logger("orglife.bot")

RECORDERS = frozenset({Role.SECRETARY, Role.DEPUTY_SECRETARY})
MAX_STATUS_LINES = 300  # beyond this (a big inspector subtree) the rest is left to the CLI
MAX_MISSED_LINES = 100
RECENT_MONTHS = 3  # /status also lists final misses of periods that ended this recently
RECORD_SOURCE = "Telegram /record"  # names the row in the reader's and the import's errors


@dataclass(frozen=True, slots=True)
class Where:
    """Where a command came from: the chat, whether it is private, and who sent it."""

    chat_id: int
    private: bool
    user_id: int | None  # None for anonymous group admins and channel identities


def month_start(day: dt.date, months_back: int) -> dt.date:
    """The first day of the month ``months_back`` months before ``day``'s month."""
    year, month = divmod(day.year * 12 + day.month - 1 - months_back, 12)
    return dt.date(year, month + 1, 1)


class ChatCommands:
    """The reply to each command, computed synchronously on the store (run off the loop)."""

    def __init__(
        self,
        store: Store,
        pack: RulePack,
        workdays: WorkCalendar,
        *,
        clock: Callable[[], dt.datetime],
        public_url: str | None = None,
    ) -> None:
        self.store = store
        self.pack = pack
        self.workdays = workdays
        self.clock = clock
        self.public_url = public_url
        self.rules = {r.id: r for r in pack.rules}

    def as_of(self) -> dt.date:
        return self.clock().astimezone(SHANGHAI).date()

    # --- who is asking --------------------------------------------------------------------

    def _member(self, user_id: int | None) -> Member | None:
        if user_id is None:
            return None
        member_id = AlertStore(self.store).member_of(user_id)
        return None if member_id is None else self.store.member(member_id)

    def _org_name(self, code: str) -> str:
        found = self.store.orgs([code])
        return found[0].name if found else code

    def _who(self, member: Member) -> str:
        return text.member_who(member.name, member.id, self._org_name(member.org), member.role)

    def _targets(self, where: Where) -> list[tuple[str, bool]] | str:
        """The orgs a chat speaks for, each with whether members' names may be shown; or the
        reply explaining how to link when it speaks for none."""
        if where.private:
            member = self._member(where.user_id)
            if member is None:
                return text.NOT_LINKED_MEMBER
            return [(member.org, True)]
        chats = AlertStore(self.store).chats(chat_id=where.chat_id)
        if not chats:
            return text.NOT_LINKED_GROUP
        names: dict[str, bool] = {}
        for chat in chats:
            allowed = chat.role is ChatRole.INSPECTOR or chat.show_names
            names[chat.org] = names.get(chat.org, False) or allowed
        return sorted(names.items())

    # --- /start and /help -----------------------------------------------------------------

    def start(self, where: Where, _: str = "") -> str:
        lines = [text.START_GREETING]
        if where.private:
            member = self._member(where.user_id)
            who = None if member is None else self._who(member)
            lines += text.start_private(where.chat_id, who)
        else:
            chats = AlertStore(self.store).chats(chat_id=where.chat_id)
            linked = [(self._org_name(c.org), c.org, c.role.value) for c in chats]
            lines += text.start_group(where.chat_id, linked)
        lines.append(text.START_MORE)
        return "\n".join(lines)

    def help(self, where: Where, _: str = "") -> str:
        return text.HELP

    # --- /link ----------------------------------------------------------------------------

    def link(self, where: Where, args: str) -> str:
        words = args.split()
        if not words:
            if where.private:
                return text.LINK_WITHOUT_CODE_PRIVATE
            return text.LINK_WITHOUT_CODE_GROUP
        now = self.clock()
        try:
            if where.private:
                if where.user_id is None:
                    return text.LINK_UNKNOWN_SENDER
                linked = AlertStore(self.store).redeem(words[0], now=now, user_id=where.user_id)
            else:
                linked = AlertStore(self.store).redeem(words[0], now=now, chat_id=where.chat_id)
        except LinkError as exc:
            return str(exc)
        if linked.kind == "chat" and linked.org is not None and linked.role is not None:
            log.info("chat_linked", chat_id=where.chat_id, org=linked.org, role=linked.role.value)
            org = self.store.org(linked.org)
            return text.chat_linked(org.name, org.code, linked.role.value)
        member = self.store.member(linked.member or "")
        log.info("member_linked", chat_id=where.chat_id, member=linked.member)
        if member is None:
            return text.member_linked_unregistered(str(linked.member))
        return text.member_linked(self._who(member), may_record=member.role in RECORDERS)

    # --- /status --------------------------------------------------------------------------

    def status(self, where: Where, _: str = "") -> str:
        targets = self._targets(where)
        if isinstance(targets, str):
            return targets
        as_of = self.as_of()
        recent = month_start(as_of, RECENT_MONTHS)
        since = dt.date(recent.year, 1, 1)
        lines = [text.status_title(as_of)]
        shown = 0
        left_out = 0
        for code, names in targets:
            try:
                check = run_check(
                    self.store, self.pack, as_of=as_of, since=since, org=code, with_records=False
                )
            except OrglifeError:
                lines.append("\n" + text.org_gone(code))
                continue
            cadres = {m.id: m.name for m in check.registers.cadres} if names else {}
            for org_code, items in self._by_org(check, as_of, recent):
                if shown >= MAX_STATUS_LINES:
                    left_out += 1
                    continue
                org = check.registers.orgs.get(org_code)
                lines.append("\n" + text.org_heading(org.name if org else org_code, org_code))
                for finding in items:
                    lines.append(self._status_line(finding, org, cadres, as_of))
                    shown += 1
        if shown == 0 and left_out == 0:
            lines.append("\n" + text.STATUS_NOTHING)
        if left_out:
            lines.append("\n" + text.status_left_out(left_out))
        lines.append("\n" + text.STATUS_LEGEND)
        if where.private or any(not names for _, names in targets):
            lines.append(text.STATUS_RECORD_HINT)
        return "\n".join(lines)

    @staticmethod
    def _by_org(check: Check, as_of: dt.date, recent: dt.date) -> list[tuple[str, list[Finding]]]:
        """The findings /status shows, by org: this period's, recent final misses, and those
        whose period ended but may still be recorded late."""
        grouped: dict[str, list[Finding]] = {}
        for f in check.findings:
            if f.status is Status.NOT_APPLICABLE:
                continue
            current = f.period.start <= as_of <= f.period.end
            recent_miss = f.status is Status.MISSED and f.period.end >= recent
            in_grace = f.status is Status.OPEN and f.period.end < as_of
            if current or recent_miss or in_grace:
                grouped.setdefault(f.org, []).append(f)
        return sorted(grouped.items())

    def _status_line(
        self, f: Finding, org: Org | None, cadres: Mapping[str, str], as_of: dt.date
    ) -> str:
        """``✓ 规则名 期间 状态``; a cadre's line names them only when ``cadres`` has the name
        (empty in chats where members' names may not appear)."""
        rule = self.rules.get(f.rule)
        name = rule.name if rule is not None else f.rule
        who = ""
        if f.member is not None:
            who = text.cadre_who(f.member, cadres.get(f.member, text.CADRE))
        if f.status is Status.OPEN:
            end = rule.deadline(f.period) if rule else f.period.end
            if as_of <= end:
                state = text.open_due(self._due(f, rule, org, as_of))
            else:
                grace = end + dt.timedelta(
                    days=self.pack.grace_for(rule) if rule else self.pack.grace_days
                )
                state = text.open_in_grace(grace)
        elif f.status is Status.MISSED and f.member is not None:
            state = text.MEMBER_MISSED
        else:
            state = STATUS_ZH[f.status]
        mark = text.MARK.get(f.status, text.NO_MARK)
        return text.status_line(mark, name, who, f.period.label_zh, state)

    def _due(self, f: Finding, rule: Rule | None, org: Org | None, as_of: dt.date) -> dt.date:
        """A fixed-day session's day while it is ahead, else the period's deadline."""
        if rule is None:
            return f.period.end
        deadline = rule.deadline(f.period)
        if rule.schedule is None or org is None:
            return deadline
        try:
            day = scheduled_day(
                rule.schedule, org, f.period.year, f.period.first_month, self.workdays
            ).day
        except OrglifeError:
            return deadline
        return day if day >= as_of else deadline

    # --- /record --------------------------------------------------------------------------

    def record(self, where: Where, args: str) -> str:
        """Record a held meeting: the line is read and imported as a register row is."""
        if not args.strip():
            return self._record_usage()
        allowed = self._recorder(where)
        if isinstance(allowed, str):
            return allowed
        org, member = allowed
        line = parse_record(args)
        if line is None:
            return text.RECORD_NO_DATE + self._record_usage()
        as_of = self.as_of()
        catalog = self.pack.catalog
        try:
            parsed = meetings_from_rows(
                [line.row(org.code, as_of)], source=RECORD_SOURCE, today=as_of, catalog=catalog
            )
            meeting = parsed.records[0]
            if meeting.date > as_of:
                return text.record_in_future(meeting.date, as_of)
            result = self.store.import_meetings(
                parsed, catalog, now=self.clock(), actor=f"bot:{member.id}"
            )
        except RegisterError as exc:
            return text.record_failed(refusal(exc, catalog))
        log.info(
            "meeting_recorded",
            org=org.code,
            kinds=sorted(meeting.kinds),
            day=meeting.date.isoformat(),
            by=member.id,
            updated=result.updated,
        )
        names = catalog.names
        kinds = "+".join(names.get(k, k) for k in sorted(meeting.kinds, key=self._kind_rank))
        return text.recorded(
            org.name,
            kinds,
            meeting.date,
            expected=meeting.expected,
            attended=meeting.attended,
            topic=meeting.topic,
            lecturer=meeting.lecturer,
            updated=bool(result.updated or result.unchanged),  # registered before
            after=self._after_record(org.code, meeting.kinds, meeting.date, as_of),
        )

    def _kind_rank(self, kind: str) -> int:
        order = [k.id for k in self.pack.catalog]
        return order.index(kind) if kind in order else len(order)

    def _record_usage(self) -> str:
        return text.record_usage(k.name for k in self.pack.catalog)

    def _recorder(self, where: Where) -> tuple[Org, Member] | str:
        """The branch and the member recording for it, or a polite refusal."""
        if where.user_id is None:
            return text.RECORD_ANONYMOUS
        member = self._member(where.user_id)
        if where.private:
            if member is None:
                return text.RECORD_NOT_LINKED
            if member.role not in RECORDERS:
                return text.record_not_a_recorder(self._who(member))
            return self.store.org(member.org), member
        chats = AlertStore(self.store).chats(chat_id=where.chat_id)
        branches = [c.org for c in chats if c.role is ChatRole.BRANCH]
        if not branches:
            if chats:
                return text.RECORD_IN_INSPECTOR_CHAT
            return text.NOT_LINKED_GROUP
        if member is None:
            return text.RECORD_NOT_LINKED
        if member.org not in branches or member.role not in RECORDERS:
            return text.record_not_this_branch(self._org_name(branches[0]))
        return self.store.org(member.org), member

    def _after_record(
        self, org: str, kinds: Iterable[str], day: dt.date, as_of: dt.date
    ) -> list[str]:
        """The org's own statuses of the rules the record counts for, in its period."""
        kinds = set(kinds)
        try:
            check = run_check(
                self.store,
                self.pack,
                as_of=as_of,
                since=dt.date(day.year, 1, 1),
                org=org,
                with_records=False,
            )
        except ValueError:  # OrglifeError included: the org is gone
            return []
        lines = []
        for f in check.findings:
            rule = self.rules.get(f.rule)
            if (
                f.org == org
                and f.member is None
                and rule is not None
                and kinds & set(rule.kinds)
                and f.period.start <= day <= f.period.end
                and f.status is not Status.NOT_APPLICABLE
            ):
                lines.append(self._status_line(f, check.registers.orgs.get(org), {}, as_of))
        return lines

    # --- /feed ----------------------------------------------------------------------------

    def feed(self, where: Where, _: str = "") -> str:
        if not where.private:
            return text.FEED_ONLY_PRIVATE
        member = self._member(where.user_id)
        if member is None:
            return text.NOT_LINKED_MEMBER
        now = self.clock()
        codes = [member.org] + ([member.id] if member.leader else [])
        blocks = []
        try:
            for code in codes:
                who = subject(self.store, code)
                token = FeedStore(self.store).token(who.code, now=now)
                url = feed_url(token.token, self.public_url)
                blocks.append(text.feed_block(who.title, url, webcal_url(url)))
        except OrglifeError as exc:
            # An unusable ORGLIFE_PUBLIC_URL, or a register that changed under the member.
            log.warning("feed_link_failed", member=member.id, error=type(exc).__name__)
            return text.FEED_FAILED
        return text.feed_reply(blocks)

    # --- /summary -------------------------------------------------------------------------

    def summary(self, where: Where, _: str = "") -> str:
        """The latest monthly summary (last month's, as the service sends it), with the list
        of what was missed."""
        targets = self._targets(where)
        if isinstance(targets, str):
            return targets
        as_of = self.as_of()
        month = parse_month(f"{as_of.replace(day=1) - dt.timedelta(days=1):%Y-%m}")
        blocks = []
        for code, _names in targets:
            try:
                summary = build_summary(self.store, self.pack, org=code, month=month, as_of=as_of)
            except OrglifeError:
                blocks.append(text.org_gone(code))
                continue
            blocks.append(self._summary_block(summary))
        return "\n\n".join(blocks)

    def _summary_block(self, summary: MonthlySummary) -> str:
        lines = [render_md(summary)]
        missed = [r for r in summary.rows if r.status is Status.MISSED]
        if missed:
            lines += ["", text.SUMMARY_MISSED]
            for row in missed[:MAX_MISSED_LINES]:
                lines.append(
                    text.summary_missed_line(
                        row.member or row.org, row.rule_name, row.period.label_zh
                    )
                )
            if len(missed) > MAX_MISSED_LINES:
                lines.append(text.summary_more_missed(len(missed)))
        return "\n".join(lines)

    # --- the rest -------------------------------------------------------------------------

    def migrate(self, old: int, new: int) -> int:
        """A group became a supergroup: keep its links under the new id."""
        return AlertStore(self.store).migrate_chat(old, new)
