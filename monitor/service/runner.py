"""The alert cycle the service runs: judge, keep the ledger, plan the notices, record them.

A thin shell: the store's aggregates feed the pure evaluator and the pure planners
(:mod:`monitor.alerts.plan`); the ledger opens items for final misses and moves them
(:func:`monitor.check.update_ledger`); :meth:`monitor.alerts.store.Alerts.record` writes the
finding states and the outbox rows in one transaction. Sending is the dispatcher's job.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import signal
import socket
from collections import Counter
from collections.abc import AsyncIterator, Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import structlog
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from monitor.alerts import plan as planner
from monitor.alerts.plan import FindingState, NoticeKind
from monitor.alerts.store import AlertStore
from monitor.alerts.summaries import SummaryBundle, plan_summaries
from monitor.calendar.ical import DEFAULT_REFRESH
from monitor.check import LedgerUpdate, judge, run_check, update_ledger, update_ledger_with
from monitor.core.domain import Finding, Member, Org, Status
from monitor.core.evaluator import Window, finding_order
from monitor.core.incremental import Verdicts, groups_of, moved_from, units_of
from monitor.core.periods import Period
from monitor.core.rules import RulePack
from monitor.core.schedule import SHANGHAI
from monitor.core.workdays import WorkCalendar
from monitor.ledger.model import LedgerStatus
from monitor.ledger.store import LedgerStore
from monitor.reporting import render_docx, render_md, render_xlsx
from monitor.reporting.build import build_summary
from monitor.reporting.links import LINK_DAYS, link_key, signed_url
from monitor.reporting.summary import parse_month
from monitor.service.escalation import escalate
from monitor.store import Store
from monitor.store.records import orgs_dated_between
from monitor.store.settings import registers_begin, registers_begin_after

if TYPE_CHECKING:
    from telegram.ext import Application

    from monitor.alerts.channels import Channel
    from monitor.alerts.dispatch import DispatchReport
    from monitor.http.server import HttpServer

log = structlog.get_logger("orglife.service")

# How far back a cycle looks: far enough that last year's periods, whose grace ends in
# January, are judged until mid-February.
LOOKBACK = dt.timedelta(days=45)


@dataclass(frozen=True, slots=True)
class CycleReport:
    as_of: dt.date
    findings: int
    missed: int  # final misses in the window
    enqueued: Counter[NoticeKind]  # new outbox rows by kind
    ledger: LedgerUpdate | None = None  # items opened, moved by 补录, gone overdue

    @property
    def total(self) -> int:
        return sum(self.enqueued.values())


def cycle_since(as_of: dt.date) -> dt.date:
    """The first day of the periods a cycle judges (see :data:`LOOKBACK`)."""
    return dt.date((as_of - LOOKBACK).year, 1, 1)


def run_cycle(
    store: Store,
    pack: RulePack,
    workdays: WorkCalendar,
    *,
    as_of: dt.date,
    now: dt.datetime,
    reminders: bool = True,
    state: CycleState | None = None,
) -> CycleReport:
    """Evaluate every subject as of ``as_of`` and enqueue what is new for the linked chats.

    With a ``state`` (the service's), the verdicts are kept between cycles and only what can
    have changed is re-judged (:func:`bring_up_to_date`); the outcome is the same.
    """
    if state is not None:
        return _kept_cycle(store, pack, workdays, state, as_of=as_of, now=now, reminders=reminders)
    check = run_check(store, pack, as_of=as_of, since=cycle_since(as_of), with_records=False)
    chats = AlertStore(store).chats()
    states = AlertStore(store).states()
    turned = [
        planner.FindingKey.of(f)
        for f in check.findings
        if f.status is Status.HELD and states.get(planner.FindingKey.of(f)) is FindingState.MISSED
    ]
    missed = sum(1 for f in check.findings if f.status is Status.MISSED)
    return _announce(
        store,
        pack,
        workdays,
        as_of=as_of,
        now=now,
        reminders=reminders,
        chats=chats,
        findings=check.findings,
        states=states,
        turned=turned,
        orgs=check.registers.orgs,
        cadres=check.registers.cadres,
        ledger=lambda: update_ledger(store, pack, check, today=as_of, now=now),
        counts=(len(check.findings), missed),
    )


def _announce(
    store: Store,
    pack: RulePack,
    workdays: WorkCalendar,
    *,
    as_of: dt.date,
    now: dt.datetime,
    reminders: bool,
    chats: Sequence[planner.Chat],
    findings: Iterable[Finding],
    states: Mapping[planner.FindingKey, FindingState],
    turned: Sequence[planner.FindingKey],
    orgs: Mapping[str, Org],
    cadres: Iterable[Member],
    ledger: Callable[[], LedgerUpdate],
    counts: tuple[int, int],
    touched: Collection[str] | None = None,
) -> CycleReport:
    """Plan and record the notices of the findings (those the planner must see: all of them
    when a chat is new), update the ledger, escalate.

    ``touched``: the ledger, the chats, ``as_of`` and ``reminders`` are as the last cycle left
    them, and this cycle's findings can move only items of these orgs: nothing else can fall
    overdue or turn red, so the overdue step is skipped and escalation looks at their items.
    """
    fresh = [c for c in chats if c.enabled and not c.welcomed]
    cleared: frozenset[planner.FindingKey] = frozenset()
    if fresh:  # what was cleared does not belong in a new chat's first digest
        cleared = frozenset(
            planner.FindingKey(i.org, i.member or "", i.rule, i.period)
            for i in LedgerStore(store).items(status=LedgerStatus.CLEARED)
            if i.rule is not None and i.period is not None
        )
    by_id = {m.id: m for m in cadres}
    result = planner.plan(
        findings,
        pack=pack,
        orgs=orgs,
        cadres=by_id,
        chats=chats,
        states=states,
        recipients=AlertStore(store).recipients(turned),
        workdays=workdays,
        as_of=as_of,
        reminders=reminders,
        cleared=cleared,
    )
    update = ledger()
    # Overdue items not yet announced; the outbox key makes a repeat harmless, and an item is
    # marked once it has gone to some inspector chat (one with none stays due for a later one).
    overdue = LedgerStore(store).overdue_unalerted() if touched is None else []
    overdue_notices = planner.plan_overdue(
        overdue,
        chats=chats,
        orgs=orgs,
        cadres=by_id,
        rule_names={r.id: r.name for r in pack.rules},
    )
    alerted = {int(n.key.split(":")[1]) for n in overdue_notices}
    if fresh:  # a new chat also hears of the items already overdue in its scope
        overdue_notices += planner.plan_overdue(
            LedgerStore(store).items(status=LedgerStatus.OVERDUE),
            chats=fresh,
            orgs=orgs,
            cadres=by_id,
            rule_names={r.id: r.name for r in pack.rules},
        )
    plan = planner.AlertPlan(result.states, [*result.notices, *overdue_notices])
    enqueued = AlertStore(store).record(plan, now=now, welcomed=result.welcomed)
    if alerted:
        LedgerStore(store).mark_alerted(sorted(alerted), now=now)
    # Escalation (三色预警, monitor.service.escalation): pending rows of items rectified or
    # cleared are dropped; unrectified items are repeated (with the morning reminders) and red
    # ones go one level further up.
    enqueued += escalate(
        store,
        pack,
        workdays,
        orgs=orgs,
        cadres=by_id,
        chats=chats,
        as_of=as_of,
        now=now,
        repeats=reminders,
        codes=touched,
    )
    return CycleReport(as_of, counts[0], counts[1], enqueued, update)


# --- kept verdicts: the service's cycles re-judge only what changed -------------------------


@dataclass(slots=True)
class Kept:
    """The verdicts of the last cycle and what they were judged on."""

    verdicts: Verdicts
    orgs: Mapping[str, Org]  # every org (the planner routes up the tree)
    cadres: tuple[Member, ...]
    revision: int  # the registers' revision the verdicts reflect
    window: Window
    # What the last cycle left: (as_of, reminders, chats, the ledger's last event), when no
    # person changed the ledger during it; a cycle finding the same needs no ledger-wide step.
    left: tuple[dt.date, bool, tuple[planner.Chat, ...], int] | None = None
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)  # by branch (orgs')

    def __post_init__(self) -> None:
        self.groups = groups_of(self.orgs)


@dataclass(slots=True)
class CycleState:
    """What `orglife serve` keeps between cycles (None: the next cycle judges in full)."""

    kept: Kept | None = None
    full: int = 0  # cycles judged in full
    partial: int = 0  # cycles that re-judged only what changed


def bring_up_to_date(
    store: Store, pack: RulePack, state: CycleState, as_of: dt.date
) -> list[Finding] | None:
    """Bring ``state`` to the registers now and ``as_of``; the findings whose status changed
    (in finding order), or None when it judged in full (every finding is new).

    In full: the first time, when the change log cannot say what changed (an org import, a
    setting, too long ago), when the registers' beginning or the cycle's first day moved, or
    when ``as_of`` went back. Otherwise it re-judges the branches (with their party groups and
    cadres) whose registers changed or who have records dated since the last ``as_of``, and,
    for every subject, the periods that moved with ``as_of`` (:func:`moved_from`).
    """
    revision = store.revision()  # read first: a change made while judging is seen next time
    since = cycle_since(as_of)
    kept = state.kept
    changed = None
    if kept is not None and kept.window.since == since and kept.window.as_of <= as_of:
        changed = store.changed_orgs(kept.revision, revision)
    if kept is not None and changed is not None:
        # A record added or deleted can move when the registers began (its earliest month),
        # and with it which periods are reported: then every verdict.
        begin = kept.window.begin
        if changed:
            begin = registers_begin_after(store, begin, changed)
        if begin != kept.window.begin:
            changed = None
    if kept is None or changed is None:
        state.kept = None  # the old verdicts go before the new are built (memory)
        window = Window.for_(as_of, since, begin=registers_begin(store))
        registers, stream = judge(store, pack, window)
        verdicts = Verdicts.of(pack, stream)
        state.kept = Kept(verdicts, registers.orgs, tuple(registers.cadres), revision, window)
        state.full += 1
        return None
    window = Window.for_(as_of, since, begin=kept.window.begin)
    codes = set(changed)
    found: dict[tuple[str, str, str, Period], Finding] = {}
    if as_of > kept.window.as_of:
        codes |= orgs_dated_between(store, kept.window.as_of, as_of)
        start = moved_from(pack, kept.window, window)
        if start is not None:
            registers, stream = judge(store, pack, Window.for_(as_of, start, begin=window.begin))
            for f in kept.verdicts.replace_from(start, stream):
                found[(f.org, f.member or "", f.rule, f.period)] = f
            kept.orgs, kept.cadres = registers.orgs, tuple(registers.cadres)
            kept.groups = groups_of(kept.orgs)
    units = units_of(kept.orgs, kept.cadres, codes, kept.groups)
    if units:
        registers, stream = judge(store, pack, window, orgs=units)
        for f in kept.verdicts.replace_orgs(units, stream):
            found[(f.org, f.member or "", f.rule, f.period)] = f
        kept.cadres = tuple(
            sorted(
                [c for c in kept.cadres if c.org not in units] + list(registers.cadres),
                key=lambda m: m.id,
            )
        )
    kept.revision, kept.window = revision, window
    state.partial += 1
    return sorted(found.values(), key=finding_order(pack))


def _kept_cycle(
    store: Store,
    pack: RulePack,
    workdays: WorkCalendar,
    state: CycleState,
    *,
    as_of: dt.date,
    now: dt.datetime,
    reminders: bool,
) -> CycleReport:
    try:
        changes = bring_up_to_date(store, pack, state, as_of)
        kept = state.kept
        assert kept is not None
        verdicts = kept.verdicts
        chats = AlertStore(store).chats()
        fresh = any(c.enabled and not c.welcomed for c in chats)
        ledger = LedgerStore(store)
        mark = ledger.watermark()
        left, kept.left = kept.left, None
        quiet = not fresh and changes is not None and left == (as_of, reminders, tuple(chats), mark)

        def held(key: tuple[str, str, str, str]) -> bool:
            return verdicts.status(*key) is Status.HELD

        findings: Iterable[Finding]
        if changes is None:  # judged in full: every finding is news to the planner
            states = AlertStore(store).states()
            turned = [
                k
                for k, st in states.items()
                if st is FindingState.MISSED and held((k.org, k.member, k.rule, k.period))
            ]
            findings = verdicts.findings(
                lambda st, member: (
                    st is Status.MISSED
                    or st is Status.HELD
                    or (reminders and st is Status.OPEN and not member)
                )
            )
            missed: Iterable[Finding] = verdicts.of_status(Status.MISSED)
        else:
            # Unchanged findings were planned by an earlier cycle (their miss recorded, their
            # 补录 announced); only reminders (by as_of) and a new chat's digest need them again.
            findings = changes
            if reminders or fresh:
                seen = {(f.org, f.member or "", f.rule, f.period) for f in changes}
                more: list[Finding] = []
                if reminders:
                    more += verdicts.of_status(Status.OPEN, orgs_only=True)
                if fresh:
                    more += verdicts.of_status(Status.MISSED)
                findings = [
                    *changes,
                    *(f for f in more if (f.org, f.member or "", f.rule, f.period) not in seen),
                ]
                states = AlertStore(store).states()
            else:
                states = AlertStore(store).states_of(planner.FindingKey.of(f) for f in changes)
            turned = [
                key
                for f in changes
                if f.status is Status.HELD
                and states.get(key := planner.FindingKey.of(f)) is FindingState.MISSED
            ]
            missed = [f for f in changes if f.status is Status.MISSED]
        only = None
        touched = None
        if quiet:
            assert changes is not None
            only = {(f.org, f.member or "", f.rule, f.period.label) for f in changes}
            touched = {f.org for f in changes}
        report = _announce(
            store,
            pack,
            workdays,
            as_of=as_of,
            now=now,
            reminders=reminders,
            chats=chats,
            findings=findings,
            states=states,
            turned=turned,
            orgs=kept.orgs,
            cadres=kept.cadres,
            ledger=lambda: update_ledger_with(
                store, pack, missed, held, today=as_of, now=now, only=only, overdue=not quiet
            ),
            counts=(verdicts.total, verdicts.missed),
            touched=touched,
        )
        # Events after ``mark`` are this cycle's (or another replica's cycle's) unless a person
        # wrote one: then the next cycle sweeps and escalates the whole ledger again.
        end = ledger.watermark()
        if ledger.only_system_between(mark, end):
            kept.left = (as_of, reminders, tuple(chats), end)
        return report
    except BaseException:
        state.kept = None  # half a cycle: the next one judges in full
        raise


def summary_month(now: dt.datetime, workdays: WorkCalendar, *, delay: int = 0) -> str | None:
    """The month whose summary is due at ``now`` (Shanghai): the previous month, from 09:00 on
    this month's first workday (``delay`` workdays later: e.g. 4 waits out a 5-day grace, so
    the summary judges every period of the month as final); None before that."""
    local = now.astimezone(SHANGHAI)
    first = workdays.next_workday(local.date().replace(day=1))
    for _ in range(delay):
        first = workdays.next_workday(first + dt.timedelta(days=1))
    if (local.date(), local.time()) < (first, dt.time(9)):
        return None
    previous = local.date().replace(day=1) - dt.timedelta(days=1)
    return f"{previous:%Y-%m}"


def send_summaries(
    store: Store,
    pack: RulePack,
    *,
    month: str,
    as_of: dt.date,
    now: dt.datetime,
    public_url: str | None = None,
) -> int:
    """Enqueue ``month``'s summary for each inspector chat that has not had it, as its platform
    takes it (:mod:`monitor.alerts.summaries`); returns how many chats it was enqueued for.
    Each org's summary is built once; DingTalk and Feishu get a signed link on
    ``public_url`` (ORGLIFE_PUBLIC_URL)."""
    done = AlertStore(store).enqueued(f"summary:{month}")
    chats = [
        c
        for c in AlertStore(store).chats()
        if c.role is planner.ChatRole.INSPECTOR and c.enabled and c.id not in done
    ]
    if not chats:
        return 0
    bundles: dict[str, SummaryBundle | None] = {}
    period = parse_month(month)

    def bundle(chat: planner.Chat) -> SummaryBundle | None:
        if chat.org not in bundles:
            summary = build_summary(store, pack, org=chat.org, month=period, as_of=as_of)
            if not summary.rows:
                bundles[chat.org] = None
                return None
            link = None
            if public_url:
                key = link_key(store)
                link = signed_url(public_url, key, org=chat.org, month=month, now=now)
            name = f"{summary.org}-{period.label}-月度检查通报"
            bundles[chat.org] = SummaryBundle(
                text=render_md(summary),
                workbook=render_xlsx(summary),
                workbook_name=f"{name}.xlsx",
                document=render_docx(summary),
                document_name=f"{name}.docx",
                link=link,
                link_days=LINK_DAYS,
            )
        return bundles[chat.org]

    notices = plan_summaries(chats, month, bundle)
    added = AlertStore(store).record(planner.AlertPlan(notices=notices), now=now)
    return added[NoticeKind.SUMMARY]


class Service:
    """`orglife serve`: the HTTP server (uvicorn: feeds, /healthz, /api), the scheduler and the
    bot, one loop.

    The scheduler (APScheduler 3, Asia/Shanghai) runs the evaluation hourly and at 00:01 (right
    after a period's grace has ended), reminders at 09:00, and the dispatcher every 30 seconds
    and after each evaluation. On start it catches up at once: periods whose grace ended while
    it was down are judged and announced, and the day's reminders go out if it is daytime.
    Jobs coalesce (a backlog of missed runs is one run) and never overlap themselves. Stopping
    (SIGTERM) lets the job in flight finish its message and releases what it had not sent.
    """

    def __init__(
        self,
        store: Store,
        pack: RulePack,
        workdays: WorkCalendar,
        *,
        channel: Channel,
        bot: Application[Any, Any, Any, Any, Any, Any] | None = None,
        host: str = "127.0.0.1",
        port: int = 8080,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        worker: str | None = None,
        refresh: dt.timedelta = DEFAULT_REFRESH,
        evaluate_every: dt.timedelta = dt.timedelta(hours=1),
        dispatch_every: dt.timedelta = dt.timedelta(seconds=30),
        summary_delay: int = 0,
        public_url: str | None = None,
        warm_dashboards: bool = False,
    ) -> None:
        self.store = store
        self.pack = pack
        self.workdays = workdays
        self.channel = channel
        self.bot = bot
        self.host = host
        self.port = port
        self.clock = clock
        self.worker = worker or f"{socket.gethostname()}-{os.getpid()}"
        self.refresh = refresh
        self.evaluate_every = evaluate_every
        self.dispatch_every = dispatch_every
        self.summary_delay = summary_delay  # workdays after the month's first one
        self.public_url = public_url  # where signed summary links point (ORGLIFE_PUBLIC_URL)
        # Warm the top-level dashboards' cache on start (`orglife serve`; tests leave it off).
        self.warm_dashboards = warm_dashboards
        self.stopping = asyncio.Event()
        self.http: HttpServer | None = None  # uvicorn, a task of this loop while running
        self._tasks: set[asyncio.Task[Any]] = set()
        self._cycle_lock = asyncio.Lock()
        # The verdicts kept between cycles: the first judges in full, later ones what changed.
        self.cycles = CycleState()
        from monitor.alerts.dispatch import Dispatcher  # the service's parts load only when it runs

        self.dispatcher = Dispatcher(store, channel, worker=self.worker, clock=clock)

    def as_of(self) -> dt.date:
        return self.clock().astimezone(SHANGHAI).date()

    async def evaluate(self, *, reminders: bool = False) -> CycleReport | None:
        """Judge as of today and enqueue what is new; then dispatch."""
        if self.stopping.is_set():
            return None
        async with self._cycle_lock, self._tracked():
            as_of = self.as_of()
            report = await asyncio.to_thread(
                run_cycle,
                self.store,
                self.pack,
                self.workdays,
                as_of=as_of,
                now=self.clock(),
                reminders=reminders,
                state=self.cycles,
            )
            log.info(
                "evaluated",
                as_of=as_of.isoformat(),
                findings=report.findings,
                missed=report.missed,
                enqueued={k.value: v for k, v in report.enqueued.items()},
                reminders=reminders,
                ledger_opened=report.ledger.opened if report.ledger else 0,
                ledger_overdue=len(report.ledger.overdue) if report.ledger else 0,
                judged_in_full=self.cycles.full,
                judged_in_part=self.cycles.partial,
            )
        await self.dispatch()
        return report

    async def remind(self) -> CycleReport | None:
        """The 09:00 run: evaluation with reminders, then the monthly summary when it is due."""
        report = await self.evaluate(reminders=True)
        await self.summarise()
        return report

    async def summarise(self) -> int:
        """Enqueue and send the previous month's summary to inspector chats, once per month."""
        if self.stopping.is_set():
            return 0
        month = summary_month(self.clock(), self.workdays, delay=self.summary_delay)
        if month is None:
            return 0
        async with self._cycle_lock, self._tracked():
            chats = await asyncio.to_thread(
                send_summaries,
                self.store,
                self.pack,
                month=month,
                as_of=self.as_of(),
                now=self.clock(),
                public_url=self.public_url,
            )
        if chats:
            log.info("summaries_enqueued", month=month, chats=chats)
            await self.dispatch()
        return chats

    async def dispatch(self) -> DispatchReport | None:
        if self.stopping.is_set():
            return None
        async with self._tracked():
            return await self.dispatcher.run_once(self.stopping)

    @contextlib.asynccontextmanager
    async def _tracked(self) -> AsyncIterator[None]:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            yield
        finally:
            if task is not None:
                self._tasks.discard(task)

    def _scheduler(self) -> AsyncIOScheduler:
        scheduler = AsyncIOScheduler(
            timezone=SHANGHAI,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 600},
        )
        scheduler.add_job(
            self.evaluate,
            IntervalTrigger(seconds=self.evaluate_every.total_seconds(), timezone=SHANGHAI),
            id="evaluate",
        )
        # Periods end at midnight; their grace too: judge the new misses right away.
        scheduler.add_job(
            self.evaluate, CronTrigger(hour=0, minute=1, timezone=SHANGHAI), id="grace_ended"
        )
        # A reminder that could not go out at 09:00 (the process was busy or paused) still goes
        # out during the morning, not at night.
        scheduler.add_job(
            self.remind,
            CronTrigger(hour=9, minute=0, timezone=SHANGHAI),
            id="remind",
            misfire_grace_time=3 * 3600,
        )
        scheduler.add_job(
            self.dispatch,
            IntervalTrigger(seconds=self.dispatch_every.total_seconds(), timezone=SHANGHAI),
            id="dispatch",
        )
        if self.warm_dashboards:
            # Verdicts are judged as of a day: at midnight every cached dashboard is stale, and
            # a province's takes ~10 s to evaluate. Warm it before the first inspector arrives.
            scheduler.add_job(
                self.warm, CronTrigger(hour=0, minute=5, timezone=SHANGHAI), id="warm_dashboards"
            )
        scheduler.add_listener(_log_job_event, EVENT_JOB_ERROR | EVENT_JOB_MISSED)
        return scheduler

    def warm(self) -> None:
        """Warm the top-level dashboards (in a thread of their own; never fatal)."""
        from monitor.http.server import warm

        if self.http is not None and self.http.state is not None:
            warm(self.http.state)

    async def run(self) -> None:
        """Run until :attr:`stopping` is set (by SIGTERM/SIGINT in :func:`serve`)."""
        from monitor.http.feeds import FeedService
        from monitor.http.server import start

        feeds = FeedService(
            self.store, self.pack, self.workdays, clock=self.clock, refresh=self.refresh
        )
        self.http = http = await start(
            feeds,
            host=self.host,
            port=self.port,
            public_url=self.public_url,
            warm_dashboards=self.warm_dashboards,
        )
        scheduler = self._scheduler()
        scheduler.start()
        log.info(
            "serving",
            url=http.url,  # the real port, also with --port 0
            channel=type(self.channel).__name__,
            bot=self.bot is not None,
            worker=self.worker,
        )
        if self.bot is not None:
            await self.bot.initialize()
            await self.bot.start()
            assert self.bot.updater is not None
            await self.bot.updater.start_polling(drop_pending_updates=False)
        try:
            # Catch up: whatever became final while the service was down goes out now.
            local = self.clock().astimezone(SHANGHAI).time()
            daytime = dt.time(9) <= local < dt.time(21)
            await self.evaluate(reminders=daytime)
            if daytime:
                await self.summarise()
            await self.stopping.wait()
        finally:
            log.info("stopping", jobs_in_flight=len(self._tasks))
            scheduler.shutdown(wait=False)
            if self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)
            if self.bot is not None:
                assert self.bot.updater is not None
                if self.bot.updater.running:
                    await self.bot.updater.stop()
                await self.bot.stop()
                await self.bot.shutdown()
            await self.channel.aclose()
            await http.stop()
            log.info("stopped")


def _log_job_event(event: JobExecutionEvent) -> None:
    """A failed or missed job as one structured line (APScheduler logs the traceback itself)."""
    scheduled = event.scheduled_run_time.isoformat() if event.scheduled_run_time else None
    if event.code == EVENT_JOB_MISSED:
        log.warning("job_missed", job=event.job_id, scheduled=scheduled)
        return
    log.error(
        "job_failed",
        job=event.job_id,
        scheduled=scheduled,
        error=type(event.exception).__name__,
        message=str(event.exception).splitlines()[0] if str(event.exception) else "",
    )


def serve(service: Service) -> None:
    """Run ``service`` until SIGINT or SIGTERM."""

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, service.stopping.set)
        await service.run()

    asyncio.run(main())
