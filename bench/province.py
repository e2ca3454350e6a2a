"""Synthetic province benchmark: generate registers, import them, evaluate a full year.

Run ``python -m bench.province --help``; bench/README.md explains every figure printed.
Progress goes to stderr, the report (markdown tables) to stdout.
"""

from __future__ import annotations

import argparse
import calendar
import cProfile
import csv
import datetime as dt
import io
import json
import math
import os
import platform
import pstats
import random
import resource
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Date, bindparam, text

from monitor.check import run_check
from monitor.core.domain import Status
from monitor.core.evaluator import Evaluator, Window
from monitor.core.periods import Cadence, Period
from monitor.core.rules import RulePack, load_pack
from monitor.registers import readers
from monitor.store import Store, aggregate, schema

T = TypeVar("T")

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
DEFAULT_WORKDIR = BENCH_DIR / "out"

# The province the sizes are proportional to.
PROVINCE_BRANCHES = 100_000
# Tables orglife owns on PostgreSQL, dropped before each run (dependents first).
PG_TABLES = (
    "ledger_event",
    "ledger_item",
    "delivery",
    "outbox",
    "finding_state",
    "telegram_user",
    "link_code",
    "chat",
    "attendance",
    "meeting",
    "member",
    "meeting_kind",
    "org",
    "feed_event",
    "feed_token",
    "revision",
    "alembic_version",
)

ORG_HEADER = ("code", "name", "type", "parent", "founded", "party_day", "has_committee")
MEMBER_HEADER = ("id", "name", "org", "group", "role", "joined", "status", "leader")
MEETING_HEADER = (
    "org", "kind", "date", "expected", "attended", "lecturer", "topic", "attendees", "recorded",
)  # fmt: skip

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文斌凯辉鹏宇晨欣怡浩然"
PARTY_DAYS = ("", "", "15", "10", "25", "1FR", "-1FR")
COMMITTEE_ROLES = ("书记", "副书记", "组织委员", "宣传委员", "纪检委员")


# ------------------------------------------------------------------------------ sizes


@dataclass(frozen=True, slots=True)
class Sizes:
    """The shape of the synthetic province, per branch as in the province target."""

    branches: int
    groups_per_branch: int = 3
    members_per_branch: int = 15
    branches_per_county: int = 100
    counties_per_city: int = 10
    branches_per_cadre: int = 20
    gap: float = 0.10  # share of scheduled sessions that are not held (no record)

    @property
    def counties(self) -> int:
        return max(1, math.ceil(self.branches / self.branches_per_county))

    @property
    def cities(self) -> int:
        return max(1, math.ceil(self.counties / self.counties_per_city))


@dataclass(frozen=True, slots=True)
class Generated:
    orgs: Path
    members: Path
    meetings: Path
    counts: dict[str, int]
    probe: str  # a branch in the second half with no December themed party day record
    seconds: float


# ------------------------------------------------------------------------- generation


class _Dates:
    """ISO texts of dates and the themed party day of each (party_day, month), computed once."""

    def __init__(self, year: int) -> None:
        self.year = year
        self._iso: dict[dt.date, str] = {}
        self._party: dict[tuple[str, int], dt.date] = {}

    def iso(self, day: dt.date) -> str:
        text = self._iso.get(day)
        if text is None:
            text = self._iso[day] = day.isoformat()
        return text

    def party_day(self, cell: str, month: int) -> dt.date:
        key = (cell, month)
        day = self._party.get(key)
        if day is None:
            day = self._party[key] = _party_day(cell or "1FR", self.year, month)
        return day


def _party_day(cell: str, year: int, month: int) -> dt.date:
    if cell.isdigit():
        return dt.date(year, month, int(cell))
    ordinal, weekday = int(cell[:-2]), ("MO", "TU", "WE", "TH", "FR", "SA", "SU").index(cell[-2:])
    days = [
        d
        for d in range(1, calendar.monthrange(year, month)[1] + 1)
        if dt.date(year, month, d).weekday() == weekday
    ]
    return dt.date(year, month, days[ordinal - 1 if ordinal > 0 else ordinal])


@dataclass(slots=True)
class _Branch:
    """One branch being generated: its roster and the meeting rows written so far."""

    code: str
    ids: list[str]
    group_ids: list[list[str]]
    cadre: str | None
    secretary_name: str
    rows: list[tuple[str, ...]] = field(default_factory=list)


class _Province:
    """Writes the three registers; every random draw comes from one ``random.Random(seed)``."""

    def __init__(self, sizes: Sizes, seed: int, year: int) -> None:
        self.sizes = sizes
        self.year = year
        self.rng = random.Random(seed)
        self.dates = _Dates(year)
        self.counts: Counter[str] = Counter()
        self.probe: str | None = None
        self.month_days = [0] + [calendar.monthrange(year, m)[1] for m in range(1, 13)]

    def committees(self) -> Iterator[tuple[str, ...]]:
        sizes = self.sizes
        yield ("P", "省委", "committee", "", "", "", "")
        for c in range(sizes.cities):
            yield (f"C{c + 1:03d}", f"第{c + 1}市委", "committee", "P", "", "", "")
        for k in range(sizes.counties):
            city = f"C{k // sizes.counties_per_city + 1:03d}"
            yield (f"X{k + 1:04d}", f"第{k + 1}县（区）委", "committee", city, "", "", "")
        self.counts["committees"] = 1 + sizes.cities + sizes.counties

    def branch(
        self, b: int, orgs: list[tuple[str, ...]], members: list[tuple[str, ...]]
    ) -> list[tuple[str, ...]]:
        """Append branch ``b``'s org and member rows; return its meeting rows for the year."""
        sizes, rng, iso, year = self.sizes, self.rng, self.dates.iso, self.year
        randint, random_, choice = rng.randint, rng.random, rng.choice
        code = f"B{b + 1:06d}"
        county = f"X{b // sizes.branches_per_county + 1:04d}"
        draw = random_()
        committee_cell = "是" if draw < 0.70 else "否" if draw < 0.85 else ""
        has_committee = committee_cell != "否"  # blank: decided by >= 7 full members
        draw = random_()
        founded = ""
        if draw < 0.01:  # founded during the year: earlier periods are exempt
            founded = iso(dt.date(year, randint(2, 11), randint(1, 28)))
        elif draw < 0.5:
            founded = iso(dt.date(randint(1980, year - 1), randint(1, 12), randint(1, 28)))
        party_day = choice(PARTY_DAYS)
        name = f"第{b + 1}党支部"
        orgs.append((code, name, "branch", county, founded, party_day, committee_cell))
        n_groups = sizes.groups_per_branch
        groups = [f"{code}-G{g + 1}" for g in range(n_groups)]
        for g, group in enumerate(groups):
            orgs.append((group, f"{name}第{g + 1}党小组", "group", code, "", "", ""))

        ids: list[str] = []
        group_ids: list[list[str]] = [[] for _ in groups]
        full_ids: list[str] = []
        cadre: str | None = None
        cadre_group = -1
        secretary_name = ""
        for i in range(sizes.members_per_branch):
            member_id = f"M{b * sizes.members_per_branch + i + 1:07d}"
            person = choice(SURNAMES) + choice(GIVEN) + (choice(GIVEN) if random_() < 0.6 else "")
            if i == 0:
                secretary_name = person
            role = COMMITTEE_ROLES[i] if i < (5 if has_committee else 1) else "党员"
            status = "预备党员" if i >= 5 and random_() < 0.07 else ""
            if random_() < 0.02:  # joined during the year: not yet on early roster days
                joined = iso(dt.date(year, randint(1, 12), randint(1, 28)))
            else:
                joined = iso(dt.date(randint(1960, year - 1), randint(1, 12), randint(1, 28)))
            leader = ""
            if b % sizes.branches_per_cadre == 0 and i == 5:
                leader, cadre, cadre_group = "是", member_id, i % n_groups
            members.append(
                (member_id, person, code, groups[i % n_groups], role, joined, status, leader)
            )
            ids.append(member_id)
            group_ids[i % n_groups].append(member_id)
            if not status:
                full_ids.append(member_id)
        self.counts["members"] += sizes.members_per_branch
        self.counts["cadres"] += cadre is not None

        state = _Branch(code, ids, group_ids, cadre, secretary_name)
        committee = ids[: 5 if has_committee else 1]
        gap = sizes.gap
        lesson_month = [q * 3 + randint(1, 3) for q in range(4)]
        lesson_combined = [random_() < 0.3 for _ in range(4)]
        general_month = [q * 3 + randint(1, 3) for q in range(4)]
        for month in range(1, 13):
            q = (month - 1) // 3
            last = self.month_days[month]
            themed = random_() >= gap
            combined = themed and lesson_combined[q] and lesson_month[q] == month
            if themed:
                day = self.dates.party_day(party_day, month)
                if combined:
                    topic = f"{month}月主题党日暨党课"
                    self.session(
                        state, code, "主题党日+党课", day, ids, topic, self.lecturer(state)
                    )
                    self.counts["combined"] += 1
                else:
                    self.session(state, code, "主题党日", day, ids, f"{month}月主题党日")
            elif month == 12 and self.probe is None and b >= sizes.branches // 2:
                self.probe = code
            if lesson_month[q] == month and not combined and random_() >= gap:
                day = dt.date(year, month, randint(1, last))
                topic = f"第{q + 1}季度党课"
                self.session(state, code, "党课", day, ids, topic, self.lecturer(state))
            if general_month[q] == month and random_() >= gap:
                day = dt.date(year, month, randint(1, last))
                self.session(state, code, "党员大会", day, full_ids, f"第{q + 1}季度党员大会")
            if has_committee:
                if random_() >= gap:
                    day = dt.date(year, month, randint(1, last))
                    self.session(state, code, "支委会", day, committee, f"{month}月支委会")
                if random_() < 0.15:  # 根据需要可以随时召开
                    day = dt.date(year, month, randint(1, last))
                    self.session(state, code, "支委会", day, committee, f"{month}月支委会（临时）")
            for g, group in enumerate(groups):
                if random_() >= gap:
                    day = dt.date(year, month, randint(1, last))
                    topic = f"{month}月党小组会"
                    listed = g == cadre_group
                    self.session(state, group, "党小组会", day, group_ids[g], topic, "", listed)
        if random_() >= gap:
            day = dt.date(year, randint(11, 12), randint(1, 28))
            self.session(state, code, "组织生活会", day, full_ids, "年度组织生活会")
        if random_() >= gap:
            day = dt.date(year, 12, randint(1, 28))
            self.session(state, code, "民主评议党员", day, full_ids, "民主评议党员")
        for j in range(randint(4, 10)):
            day = dt.date(year, randint(1, 12), randint(1, 28))
            topic = f"谈心谈话（{j + 1}）"
            state.rows.append(
                (code, "谈心谈话", iso(day), "2", "2", "", topic, "", self.recorded(day))
            )
        self.counts["meetings"] += len(state.rows)
        return state.rows

    def session(
        self,
        state: _Branch,
        org: str,
        kind: str,
        day: dt.date,
        roster: Sequence[str],
        topic: str,
        lecturer: str = "",
        listed: bool | None = None,
    ) -> None:
        """One record; branch sessions (and the cadre's group's) may list their attendees."""
        rng = self.rng
        size = len(roster)
        if rng.random() < 0.03:  # fell short of half
            attended = rng.randint(0, (size - 1) // 2)
        else:
            attended = rng.randint(size - min(3, size // 3), size)
        expected = "" if rng.random() < 0.10 else str(size)  # blank 应到人数: roster decides
        people = ""
        if (listed if listed is not None else org == state.code) and state.cadre is not None:
            people = self.attendees(state.cadre, roster, attended)
        day_text = self.dates.iso(day)
        row = (org, kind, day_text, expected, str(attended), lecturer, topic, people)
        state.rows.append((*row, self.recorded(day)))

    def attendees(self, cadre: str, roster: Sequence[str], attended: int) -> str:
        """Member ids present, on ~60% of a leading cadre's branch and group sessions."""
        rng = self.rng
        if not attended or rng.random() >= 0.6:
            return ""
        present = rng.sample(roster, min(attended, len(roster)))
        if cadre not in present and rng.random() < 0.85:
            present[-1] = cadre
        self.counts["attendee_lists"] += 1
        self.counts["attendance"] += len(present)
        return ";".join(present)

    def lecturer(self, state: _Branch) -> str:
        draw = self.rng.random()
        if draw < 0.55:
            return state.secretary_name
        if draw < 0.65:
            return state.ids[0]  # the secretary, by member id
        return self.rng.choice(state.ids[1:]) if draw < 0.85 else "外请讲师"

    def recorded(self, day: dt.date) -> str:
        if self.rng.random() < 0.2:
            return ""  # blank: the import's entry day
        # Entered within a week, and never after the year's last day: the import's "today"
        # (an entry date later than today is refused since the registers of record).
        entered = min(day + dt.timedelta(days=self.rng.randint(0, 7)), dt.date(day.year, 12, 31))
        return self.dates.iso(entered)


def generate(sizes: Sizes, seed: int, year: int, workdir: Path) -> Generated:
    """Write orgs, members and meetings CSVs; the same seed always writes the same files."""
    started = time.perf_counter()
    workdir.mkdir(parents=True, exist_ok=True)
    stem = f"province-{sizes.branches}-s{seed}-{year}"
    paths = {k: workdir / f"{stem}-{k}.csv" for k in ("orgs", "members", "meetings")}
    province = _Province(sizes, seed, year)
    with (
        paths["orgs"].open("w", encoding="utf-8", newline="") as orgs_file,
        paths["members"].open("w", encoding="utf-8", newline="") as members_file,
        paths["meetings"].open("w", encoding="utf-8", newline="") as meetings_file,
    ):
        org_out = csv.writer(orgs_file)
        member_out = csv.writer(members_file)
        meeting_out = csv.writer(meetings_file)
        org_out.writerow(ORG_HEADER)
        member_out.writerow(MEMBER_HEADER)
        meeting_out.writerow(MEETING_HEADER)
        org_out.writerows(province.committees())
        orgs: list[tuple[str, ...]] = []
        members: list[tuple[str, ...]] = []
        for b in range(sizes.branches):
            meeting_out.writerows(province.branch(b, orgs, members))
            if len(members) >= 50_000:
                org_out.writerows(orgs)
                member_out.writerows(members)
                orgs.clear()
                members.clear()
            if (b + 1) % 10_000 == 0:
                _progress(f"generated {b + 1:,} of {sizes.branches:,} branches")
        org_out.writerows(orgs)
        member_out.writerows(members)

    counts = province.counts
    counts["branches"] = sizes.branches
    counts["groups"] = sizes.branches * sizes.groups_per_branch
    counts["orgs"] = counts["committees"] + counts["branches"] + counts["groups"]
    probe = province.probe or f"B{sizes.branches:06d}"  # tiny runs: any branch will do
    seconds = time.perf_counter() - started
    return Generated(
        paths["orgs"], paths["members"], paths["meetings"], dict(counts), probe, seconds
    )


# ------------------------------------------------------------------------- database


def default_db_url(workdir: Path, branches: int) -> str:
    return f"sqlite:///{workdir / f'province-{branches}.db'}"


def reset_database(url: str) -> str:
    """Start from an empty database: remove the SQLite file or drop orglife's PG tables."""
    parsed = schema.normalise_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database
        if not database or database == ":memory:":
            raise SystemExit("bench needs a file database (an in-memory one cannot be re-opened)")
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(database + suffix).unlink(missing_ok=True)
    elif backend == "postgresql":
        engine = schema.make_engine(url)
        try:
            with engine.begin() as conn:
                conn.execute(text(f"DROP TABLE IF EXISTS {', '.join(PG_TABLES)}"))
        finally:
            engine.dispose()
    else:
        raise SystemExit(f"unsupported database backend {backend!r}: use sqlite or postgresql")
    return backend


def backend_version(store: Store) -> str:
    if store.dialect == "sqlite":
        return f"SQLite {sqlite3.sqlite_version}"
    with store.engine.connect() as conn:
        version: str = conn.execute(text("SHOW server_version")).scalar_one()
    return f"PostgreSQL {version}"


def analyze(store: Store) -> None:
    with store.engine.begin() as conn:
        conn.execute(text("ANALYZE"))


# ------------------------------------------------------------------------ timed steps


@dataclass(slots=True)
class ImportTiming:
    register: str
    rows: int
    read: float
    store: float

    @property
    def total(self) -> float:
        return self.read + self.store


def prepare(url: str, branches: int, seed: int, year: int, pack: RulePack) -> None:
    """An empty database at ``url`` filled with a generated province of ``branches`` (what the
    other benches do unless told ``--reuse``)."""
    backend = reset_database(url)
    _progress(f"generating {branches:,} branches ...")
    generated = generate(Sizes(branches), seed, year, DEFAULT_WORKDIR)
    _progress(f"importing into the {backend} database ...")
    with Store.open(url) as store:
        import_registers(store, pack, generated, dt.date(year, 12, 31))


def elapsed_ms(step: Callable[[], object]) -> float:
    """How long ``step`` takes, in milliseconds."""
    started = time.perf_counter()
    step()
    return (time.perf_counter() - started) * 1000


def import_registers(
    store: Store, pack: RulePack, gen: Generated, today: dt.date
) -> list[ImportTiming]:
    """The real import path: readers.read_* then Store.import_*, each register once."""
    timings: list[ImportTiming] = []
    steps: list[tuple[str, Callable[[], Any], Callable[[Any], Any]]] = [
        ("orgs", lambda: readers.read_orgs(gen.orgs), store.import_orgs),
        ("members", lambda: readers.read_members(gen.members), store.import_members),
        (
            "meetings",
            lambda: readers.read_meetings(
                gen.meetings, today=today, historical=True, catalog=pack.catalog
            ),
            lambda parsed: store.import_meetings(parsed, pack.catalog),
        ),
    ]
    for name, read, write in steps:
        _progress(f"importing {name} ...")
        started = time.perf_counter()
        parsed = read()
        read_done = time.perf_counter()
        result = write(parsed)
        done = time.perf_counter()
        rows = len(parsed)
        del parsed
        timings.append(ImportTiming(name, rows, read_done - started, done - read_done))
        _progress(
            f"  {name}: {rows:,} rows, read {read_done - started:.2f}s, "
            f"store {done - read_done:.2f}s ({result.inserted:,} inserted)"
        )
    return timings


BASELINE_SQL = text(
    "SELECT org, kinds, month, COUNT(*) FROM meeting "
    "WHERE day <= :as_of AND month >= :m0 AND month < :m1 "
    "GROUP BY org, kinds, month"
).bindparams(bindparam("as_of", type_=Date))


def baseline(store: Store, pack: RulePack, window: Window) -> tuple[int, int]:
    """One GROUP BY (subject, kind, period) over the window's records, fetched completely.

    Returns (result rows, records counted)."""
    months = window.months(pack)
    with store.engine.connect() as conn:
        rows = conn.execute(
            BASELINE_SQL, {"as_of": window.as_of, "m0": months.start, "m1": months.stop}
        ).all()
    return len(rows), sum(int(r[3]) for r in rows)


@dataclass(slots=True)
class Evaluation:
    seconds: float
    registers_seconds: float
    findings: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.findings.values())


def evaluate(store: Store, pack: RulePack, window: Window) -> Evaluation:
    """registers + tallies(with_records=False) streamed through the Evaluator, counted by status."""
    started = time.perf_counter()
    registers = aggregate.registers(store, pack, window)
    loaded = time.perf_counter()
    tallies = aggregate.tallies(store, pack, window, with_records=False)
    findings = Counter(f.status.value for f in Evaluator(pack, window).evaluate(registers, tallies))
    return Evaluation(time.perf_counter() - started, loaded - started, findings)


def tallies_only(store: Store, pack: RulePack, window: Window) -> int:
    """The tally stream alone (SQL + Tally objects, no judging): how many subjects it yields."""
    return sum(1 for _ in aggregate.tallies(store, pack, window, with_records=False))


def peak_rss_kib() -> tuple[int, int | None]:
    """(ru_maxrss, VmHWM) of this process in KiB; VmHWM is None where /proc is missing."""
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return maxrss, int(line.split()[1])
    except OSError:
        pass
    return maxrss, None


def best_of(repeat: int, step: Callable[[], T]) -> tuple[float, T]:
    """Run ``step`` ``repeat`` times; the fastest wall time and that run's result."""
    best: tuple[float, T] | None = None
    for _ in range(max(1, repeat)):
        started = time.perf_counter()
        result = step()
        seconds = time.perf_counter() - started
        if best is None or seconds < best[0]:
            best = (seconds, result)
    assert best is not None
    return best


def evaluate_in_child(url: str, year: int) -> dict[str, Any]:
    """One full evaluation in a fresh interpreter, for its peak memory.

    The child's own ru_maxrss is not usable on Linux: exec() carries the peak RSS of the
    address space it replaces (the fork of this big parent) into the new process's maxrss.
    The child therefore also reports VmHWM, the high-water mark of its own address space.
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(REPO_ROOT), env.get("PYTHONPATH"))))
    command = [
        sys.executable, "-m", "bench.province", "--evaluate-only", "--json",
        "--db", url, "--year", str(year),
    ]  # fmt: skip
    done = subprocess.run(command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, check=True)
    result: dict[str, Any] = json.loads(done.stdout)
    result["rusage_children_kib"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return result


def write_probe(workdir: Path, probe: str, year: int) -> Path:
    """A one-row meetings file: the probe branch's missing December themed party day."""
    path = workdir / f"probe-{probe}.csv"
    with path.open("w", encoding="utf-8", newline="") as file:
        out = csv.writer(file)
        out.writerow(MEETING_HEADER)
        day = dt.date(year, 12, 30).isoformat()
        out.writerow((probe, "主题党日", day, "15", "12", "", "12月主题党日（补录）", "", day))
    return path


# --------------------------------------------------------------------------- profile


AREAS: tuple[tuple[str, Callable[[str, str], bool]], ...] = (
    ("DB driver (sqlite3 / psycopg: execute, fetch, wait)",
     lambda f, n: "sqlite3" in n or "psycopg" in f or "psycopg" in n),
    ("SQLAlchemy (connections, result rows)", lambda f, _: "/sqlalchemy/" in f),
    ("monitor/store/aggregate.py (SQL rows -> Tally / RosterCounts)",
     lambda f, _: f.endswith("monitor/store/aggregate.py")),
    ("monitor/store/__init__.py (rows -> Org / Member)",
     lambda f, _: f.endswith("monitor/store/__init__.py")),
    ("monitor/evaluator.py (judging)", lambda f, _: f.endswith("monitor/evaluator.py")),
    ("monitor/periods.py, domain.py (Period, Finding helpers)",
     lambda f, _: f.endswith(("monitor/periods.py", "monitor/domain.py"))),
    ("dataclass __init__ (Finding, Evidence, Tally, Org, ...)", lambda f, _: f == "<string>"),
)  # fmt: skip


def profile_evaluation(store: Store, pack: RulePack, window: Window) -> str:
    """cProfile one full evaluation; own time by area, then the top functions."""
    profiler = cProfile.Profile()
    profiler.enable()
    evaluate(store, pack, window)
    profiler.disable()
    stats = pstats.Stats(profiler)
    entries: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in entries.values()) or 1.0
    areas: Counter[str] = Counter()
    for (filename, _, name), value in entries.items():
        area = next(
            (a for a, match in AREAS if match(filename, name)), "other (builtins, csv, ...)"
        )
        areas[area] += value[2]
    lines = [f"cProfile of one full evaluation: {total:.2f}s of own time (profiler overhead incl.)"]
    for area, seconds in areas.most_common():
        lines.append(f"  {seconds / total:6.1%}  {seconds:7.2f}s  {area}")
    buffer = io.StringIO()
    pstats.Stats(profiler, stream=buffer).sort_stats("tottime").print_stats(25)
    lines.append(buffer.getvalue())
    return "\n".join(lines)


# ---------------------------------------------------------------------------- report


def _progress(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> str:
    """A markdown table, padded to line up in a terminal; columns in ``right`` right-aligned."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        padded = (
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )
        return "| " + " | ".join(padded) + " |"

    rules = ("-" * (w + 1) + ":" if i in right else "-" * (w + 2) for i, w in enumerate(widths))
    return "\n".join([line(header), "|" + "|".join(rules) + "|", *(line(r) for r in rows)])


def _n(value: float) -> str:
    return f"{value:,.0f}"


def _s(seconds: float) -> str:
    return f"{seconds:.3f}" if seconds < 10 else f"{seconds:.2f}"


def _mib(kib: int) -> str:
    return f"{kib / 1024:,.0f} MiB"


def _ok(met: bool) -> str:
    return "yes" if met else "**NO**"


@dataclass(slots=True)
class Run:
    """Everything one benchmark run measured, for the report."""

    command: str
    sizes: Sizes
    seed: int
    year: int
    pack: RulePack
    url: str
    version: str
    analyzed: bool
    repeat: int
    gen: Generated
    db_counts: dict[str, int]
    imports: list[ImportTiming]
    import_rss_kib: int
    baseline_s: float
    baseline_groups: int
    baseline_records: int
    evaluation_s: float
    evaluation: Evaluation
    registers_s: float
    tallies_s: float
    subjects: int
    child: dict[str, Any] | None
    probe_import_s: float
    subtree: list[str]
    check_s: float
    check_findings: int
    probe_status: str
    again_s: float
    again: Evaluation


def render(run: Run) -> str:
    sizes, gen, counts = run.sizes, run.gen, run.gen.counts
    base = run.baseline_s
    ratio = run.evaluation_s / base
    again_ratio = run.again_s / base
    out: list[str] = [
        f"## orglife province benchmark: {sizes.branches:,} branches "
        f"({sizes.branches / PROVINCE_BRANCHES:.0%} of the province target)",
        "",
        f"- command: `{run.command}`",
        f"- database: {run.version} (`{run.url}`)"
        + (", ANALYZE run after the import" if run.analyzed else ""),
        f"- seed {run.seed}; as_of {run.year}-12-31, since {run.year}-01-01; "
        f"rule pack {run.pack.name} ({len(run.pack.rules)} rules)",
        f"- Python {platform.python_version()}, {os.cpu_count()} CPUs",
        f"- wall-clock times; each query/evaluation step ran {run.repeat}x in this process and the "
        "faster run is shown; each import ran once, into the empty database; generating the "
        f"CSVs ({gen.seconds:.1f}s) is not timed",
        "",
    ]
    registers = [
        [
            "orgs",
            _n(run.db_counts["orgs"]),
            f"{counts['committees']:,} committees (province 1, city {sizes.cities:,}, "
            f"county {sizes.counties:,}), {counts['branches']:,} branches, "
            f"{counts['groups']:,} groups",
        ],
        ["members", _n(run.db_counts["members"]), f"{counts['cadres']:,} leading cadres"],
        [
            "meetings",
            _n(run.db_counts["meetings"]),
            f"{counts['meetings'] / sizes.branches:.1f} per branch; "
            f"{counts['combined']:,} 主题党日+党课; {counts['attendee_lists']:,} with attendee "
            f"lists ({counts['attendance']:,} attendance rows); incl. the 1 probe record",
        ],
    ]
    out += [_table(["register", "rows", "notes"], registers, {1}), ""]

    rows: list[list[str]] = []
    for timing in run.imports:
        goal = met = ""
        if timing.register == "meetings":
            goal, met = "≥ 50,000 rows/s", _ok(timing.rows / timing.total >= 50_000)
        rate = _n(timing.rows / timing.total)
        rows.append(
            [f"import {timing.register}", _n(timing.rows), _s(timing.total), rate, "", goal, met]
        )
    meetings = run.imports[-1]
    for label, seconds in (
        ("… of which readers.read_meetings", meetings.read),
        ("… of which Store.import_meetings", meetings.store),
    ):
        rows.append(
            [label, _n(meetings.rows), _s(seconds), _n(meetings.rows / seconds), "", "", ""]
        )
    records = run.baseline_records
    rows += [
        [
            "baseline: 1 GROUP BY org, kinds, month",
            _n(records),
            _s(base),
            _n(records / base),
            "1.00x",
            "",
            "",
        ],
        [
            "full-year evaluation",
            _n(run.evaluation.total),
            _s(run.evaluation_s),
            _n(records / run.evaluation_s),
            f"{ratio:.2f}x",
            "≤ 3x",
            _ok(ratio <= 3),
        ],
        [
            "… aggregate.registers alone",
            _n(run.db_counts["orgs"]),
            _s(run.registers_s),
            "",
            f"{run.registers_s / base:.2f}x",
            "",
            "",
        ],
        [
            "… aggregate.tallies stream alone",
            _n(run.subjects),
            _s(run.tallies_s),
            "",
            f"{run.tallies_s / base:.2f}x",
            "",
            "",
        ],
    ]
    if run.child is not None:
        rss = int(run.child["peak_kib"])
        rows.append(
            [
                f"evaluation peak RSS (child {run.child['peak_source']})",
                _mib(rss),
                _s(float(run.child["seconds"])),
                "",
                "",
                "< 2 GiB",
                _ok(rss < 2 * 1024 * 1024),
            ]
        )
    rows += [
        ["import 1 new record", "1", _s(run.probe_import_s), "", "", "", ""],
        [
            f"run_check(org={gen.probe}), {len(run.subtree)} orgs",
            _n(run.check_findings),
            _s(run.check_s),
            "",
            f"{run.check_s / base:.2f}x",
            "",
            "",
        ],
        [
            "full-year evaluation again",
            _n(run.again.total),
            _s(run.again_s),
            _n(records / run.again_s),
            f"{again_ratio:.2f}x",
            "≤ 3x",
            _ok(again_ratio <= 3),
        ],
    ]
    header = ["step", "rows", "seconds", "rows/s", "vs baseline", "goal", "met"]
    out += [_table(header, rows, {1, 2, 3, 4}), ""]
    out += [
        f"Rows: records for imports and the baseline, findings for evaluations, org subjects "
        f"for registers, subjects (orgs + cadres) for the tally stream. Evaluation rows/s: "
        f"meeting records judged per second. Baseline: {run.baseline_groups:,} groups. "
        f"Probe {gen.probe}: themed_party_day {run.year}-12 is {run.probe_status} after its new "
        f"record (none before). Peak RSS of this process after the imports (the import's "
        f"peak): {_mib(run.import_rss_kib)}.",
    ]
    if run.child is not None and run.child["peak_source"] == "VmHWM":
        out[-1] += (
            f" The child's peak is its VmHWM; its ru_maxrss ({_mib(run.child['maxrss_kib'])}) "
            f"and RUSAGE_CHILDREN ({_mib(run.child['rusage_children_kib'])}) carry the "
            "parent's RSS over fork/exec on Linux, so they overstate the evaluation."
        )
    out.append("")
    statuses = [s.value for s in Status]
    status_rows = [[s, _n(run.evaluation.findings[s]), _n(run.again.findings[s])] for s in statuses]
    status_rows.append(["total", _n(run.evaluation.total), _n(run.again.total)])
    out.append(_table(["status", "findings", "after the new record"], status_rows, {1, 2}))
    return "\n".join(out)


# ------------------------------------------------------------------------------ main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.province",
        description="Synthetic province benchmark of orglife (import, full-year evaluation, "
        f"re-evaluation). The province target is --branches {PROVINCE_BRANCHES}.",
    )
    parser.add_argument("--branches", type=int, default=1000, help="党支部 (default 1000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--year", type=int, default=2026, help="the year the records cover")
    parser.add_argument(
        "--db",
        help="database URL (default sqlite:///<workdir>/province-<N>.db); it is emptied first: "
        "the SQLite file is deleted, on PostgreSQL the orglife tables are dropped",
    )
    parser.add_argument(
        "--workdir", type=Path, default=DEFAULT_WORKDIR, help="where CSVs go (default bench/out/)"
    )
    parser.add_argument(
        "--repeat", type=int, default=2, help="runs of each timed query step; the fastest is shown"
    )
    parser.add_argument(
        "--analyze",
        action="store_true",
        help="also ANALYZE orgs and members after the import (orglife analyses meetings itself)",
    )
    parser.add_argument(
        "--profile", action="store_true", help="cProfile one more evaluation; summary to stderr"
    )
    parser.add_argument("--no-child", action="store_true", help="skip the peak-memory child")
    parser.add_argument(
        "--evaluate-only",
        action="store_true",
        help="only evaluate the existing --db (no generation or import); report own peak RSS",
    )
    parser.add_argument("--json", action="store_true", help="with --evaluate-only: print JSON")
    args = parser.parse_args(argv)
    if args.branches < 1 or args.repeat < 1:
        parser.error("--branches and --repeat must be at least 1")
    args.workdir = args.workdir.resolve()
    if args.db is None:
        args.db = default_db_url(args.workdir, args.branches)
    return args


def evaluate_only(args: argparse.Namespace) -> None:
    pack = load_pack()
    window = Window.for_(dt.date(args.year, 12, 31), dt.date(args.year, 1, 1))
    with Store.open(args.db, migrate=False) as store:
        result = evaluate(store, pack, window)
    maxrss, hwm = peak_rss_kib()
    peak, source = (maxrss, "ru_maxrss") if hwm is None else (hwm, "VmHWM")
    if args.json:
        payload = {
            "seconds": result.seconds,
            "registers_seconds": result.registers_seconds,
            "findings": dict(result.findings),
            "maxrss_kib": maxrss,
            "vmhwm_kib": hwm,
            "peak_kib": peak,
            "peak_source": source,
        }
        print(json.dumps(payload))
        return
    rows = [[status, _n(count)] for status, count in sorted(result.findings.items())]
    print(_table(["status", "findings"], [*rows, ["total", _n(result.total)]], {1}))
    print(
        f"\nevaluation {_s(result.seconds)}s (registers {_s(result.registers_seconds)}s), "
        f"peak RSS {_mib(peak)} ({source}; ru_maxrss {_mib(maxrss)})"
    )


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if args.evaluate_only:
        evaluate_only(args)
        return
    sizes = Sizes(args.branches)
    year: int = args.year
    repeat: int = args.repeat
    as_of, since = dt.date(year, 12, 31), dt.date(year, 1, 1)
    window = Window.for_(as_of, since)
    pack = load_pack()
    url = schema.normalise_url(args.db).render_as_string()

    _progress(f"generating {sizes.branches:,} branches (seed {args.seed}) into {args.workdir}")
    gen = generate(sizes, args.seed, year, args.workdir)
    _progress(f"generated {gen.counts['meetings']:,} meeting records in {gen.seconds:.1f}s")
    backend = reset_database(args.db)
    _progress(f"emptied the {backend} database {url}")

    with Store.open(args.db) as store:
        version = backend_version(store)
        imports = import_registers(store, pack, gen, today=as_of)
        import_rss = peak_rss_kib()[0]
        if args.analyze:
            _progress("ANALYZE ...")
            analyze(store)

        _progress("baseline GROUP BY ...")
        base_s, (groups, records) = best_of(repeat, lambda: baseline(store, pack, window))
        _progress(f"  {base_s:.3f}s, {groups:,} groups over {records:,} records")
        _progress("full-year evaluation ...")
        eval_s, evaluation = best_of(repeat, lambda: evaluate(store, pack, window))
        _progress(f"  {eval_s:.3f}s, {evaluation.total:,} findings")
        registers_s, _ = best_of(repeat, lambda: aggregate.registers(store, pack, window))
        tallies_s, subjects = best_of(repeat, lambda: tallies_only(store, pack, window))
        _progress(f"  registers alone {registers_s:.3f}s, tallies alone {tallies_s:.3f}s")

        child: dict[str, Any] | None = None
        if not args.no_child:
            _progress("evaluation in a child process (peak memory) ...")
            child = evaluate_in_child(args.db, year)
            _progress(
                f"  child peak RSS {_mib(child['peak_kib'])} ({child['peak_source']}); "
                f"child ru_maxrss {_mib(child['maxrss_kib'])}, "
                f"RUSAGE_CHILDREN {_mib(child['rusage_children_kib'])}"
            )

        _progress(f"one new record for {gen.probe} ...")
        probe_path = write_probe(args.workdir, gen.probe, year)
        started = time.perf_counter()
        parsed = readers.read_meetings(
            probe_path, today=as_of, historical=True, catalog=pack.catalog
        )
        store.import_meetings(parsed, pack.catalog)
        probe_import_s = time.perf_counter() - started
        check_s, check = best_of(
            repeat, lambda: run_check(store, pack, as_of=as_of, since=since, org=gen.probe)
        )
        december = Period(Cadence.MONTH, year, 12)
        status = next(
            (
                f.status.value
                for f in check.findings
                if f.org == gen.probe and f.rule == "themed_party_day" and f.period == december
            ),
            "absent",
        )
        again_s, again = best_of(repeat, lambda: evaluate(store, pack, window))
        _progress(f"  subtree check {check_s:.3f}s, full evaluation again {again_s:.3f}s")
        run = Run(
            command=" ".join(
                ["python -m bench.province", *(sys.argv[1:] if argv is None else argv)]
            ),
            sizes=sizes,
            seed=args.seed,
            year=year,
            pack=pack,
            url=url,
            version=version,
            analyzed=args.analyze,
            repeat=repeat,
            gen=gen,
            db_counts=store.counts(),
            imports=imports,
            import_rss_kib=import_rss,
            baseline_s=base_s,
            baseline_groups=groups,
            baseline_records=records,
            evaluation_s=eval_s,
            evaluation=evaluation,
            registers_s=registers_s,
            tallies_s=tallies_s,
            subjects=subjects,
            child=child,
            probe_import_s=probe_import_s,
            subtree=store.subtree(gen.probe),
            check_s=check_s,
            check_findings=len(check.findings),
            probe_status=status,
            again_s=again_s,
            again=again,
        )
        print(render(run), flush=True)
        if args.profile:
            _progress("profiling one more evaluation ...")
            print(profile_evaluation(store, pack, window), file=sys.stderr)


if __name__ == "__main__":
    main()
