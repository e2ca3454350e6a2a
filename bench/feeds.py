"""How long one calendar feed takes to build, against evaluating the same subject alone.

    python -m bench.feeds --branches 10000 [--db URL] [--sample 30]

Builds a synthetic province with :mod:`bench.province` (or reuses ``--db`` with ``--reuse``),
then for a sample of branches times, in the same run:

- baseline: ``run_check`` of the branch's subtree for the year (what ``orglife check --org``
  does: registers, tallies and judging, no calendar);
- feed, first build: ``calendars.generate`` with no stamps stored yet (writes them all);
- feed, rebuild: the same feed again (reads stamps, writes none): what ``orglife serve`` does
  when the registers changed;
plus one leading cadre's feed and one county committee's (a higher-level org's) feed.
Medians in milliseconds and the ratio to the baseline go to stdout as a markdown table.

``figures(ctx)`` is the ``feed`` area of ``python -m bench``: the median first build and
rebuild of a sample of branch feeds, against ``run_check`` of the branch.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence

from sqlalchemy import text

from bench import province
from bench.suite import Context, Figure
from monitor.calendar.service import generate
from monitor.check import run_check
from monitor.core.rules import load_pack
from monitor.holidays import work_calendar
from monitor.store import Store


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.feeds", description=__doc__)
    parser.add_argument("--branches", type=int, default=10_000)
    parser.add_argument("--db", help="database URL (default: a SQLite file in bench/out)")
    parser.add_argument("--reuse", action="store_true", help="use --db as it is, no import")
    parser.add_argument("--sample", type=int, default=30, help="branches timed (default 30)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    url = args.db or province.default_db_url(province.DEFAULT_WORKDIR, args.branches)
    year = 2026
    pack = load_pack()
    if not args.reuse:
        province.prepare(url, args.branches, args.seed, year, pack)
    as_of = dt.date(year, 11, 20)
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    workdays = work_calendar(warn=lambda *_: None)
    now = dt.datetime.now(dt.UTC)
    with Store.open(url) as store:
        with store.engine.begin() as conn:  # every feed's first build really is its first
            conn.execute(text("DELETE FROM feed_event"))
        orgs = store.orgs()
        branches = sorted(o.code for o in orgs if o.type.value == "branch")
        counties = sorted(o.code for o in orgs if o.type.value == "committee" and o.parent)
        cadre = next(iter(store.members(leaders_only=True)), None)
        sample = random.Random(args.seed).sample(branches, min(args.sample, len(branches)))

        def check(code: str) -> Callable[[], object]:
            return lambda: run_check(store, pack, as_of=as_of, since=first, org=code)

        def feed(code: str) -> Callable[[], object]:
            return lambda: generate(
                store, pack, workdays, code, as_of=as_of, first=first, last=last, now=now
            )

        rows: dict[str, list[float]] = {"baseline": [], "first": [], "rebuild": []}
        events = []
        for code in sample:
            rows["baseline"].append(province.elapsed_ms(check(code)))
            rows["first"].append(province.elapsed_ms(feed(code)))
            started = time.perf_counter()
            rendered = generate(
                store, pack, workdays, code, as_of=as_of, first=first, last=last, now=now
            )
            rows["rebuild"].append((time.perf_counter() - started) * 1000)
            events.append(len(rendered.feed.events))
        extra = []
        if cadre is not None:
            extra.append(("leading cadre " + cadre.id, province.elapsed_ms(feed(cadre.id))))
        county = max(counties, key=lambda c: len(store.subtree(c)), default=None)
        if county is not None:
            size = len(store.subtree(county))
            base = province.elapsed_ms(check(county))
            extra.append((f"county {county} ({size} orgs) baseline", base))
            extra.append((f"county {county} feed", province.elapsed_ms(feed(county))))
        dialect = store.dialect
    base = statistics.median(rows["baseline"])
    print(f"## Feed generation, {args.branches:,} branches, {dialect}, {len(sample)} branches\n")
    print(
        f"Median events per branch feed (branch + 3 groups, {first} to {last}): "
        f"{statistics.median(events):.0f}\n"
    )
    print("| step | median ms | max ms | ratio to baseline |")
    print("|---|---:|---:|---:|")
    for name, label in (
        ("baseline", "baseline: evaluate the branch (run_check --org)"),
        ("first", "feed, first build (all stamps written)"),
        ("rebuild", "feed, rebuild (stamps read, none written)"),
    ):
        values = rows[name]
        print(
            f"| {label} | {statistics.median(values):.1f} | {max(values):.1f} | "
            f"{statistics.median(values) / base:.2f}x |"
        )
    for label, ms in extra:
        print(f"| {label} | {ms:.1f} | | |")
    sys.stdout.flush()


FEED_GOAL_S = 0.020
FIGURE_SAMPLE = 20


def figures(ctx: Context) -> list[Figure]:
    """A branch feed's first build and its rebuild (medians over a sample of branches)."""
    pack = load_pack()
    as_of = dt.date(ctx.year, 11, 20)
    first, last = ctx.since, ctx.as_of
    workdays = work_calendar(warn=lambda *_: None)
    now = dt.datetime.now(dt.UTC)
    rows: dict[str, list[float]] = {"baseline": [], "first": [], "rebuild": []}
    with Store.open(ctx.db_url) as store:
        branches = sorted(o.code for o in store.orgs() if o.type.value == "branch")
        sample = random.Random(1).sample(branches, min(FIGURE_SAMPLE, len(branches)))
        with store.engine.begin() as conn:  # every sampled feed's first build really is its first
            for code in sample:
                conn.execute(text("DELETE FROM feed_event WHERE feed = :f"), {"f": code})
        for code in sample:

            def check(code: str = code) -> object:
                return run_check(store, pack, as_of=as_of, since=first, org=code)

            def feed(code: str = code) -> object:
                return generate(
                    store, pack, workdays, code, as_of=as_of, first=first, last=last, now=now
                )

            rows["baseline"].append(province.elapsed_ms(check) / 1000)
            rows["first"].append(province.elapsed_ms(feed) / 1000)
            rows["rebuild"].append(province.elapsed_ms(feed) / 1000)
    floor = statistics.median(rows["baseline"])
    note = f"median of {len(sample)} branches; floor: run_check --org BRANCH, {first} to {as_of}"
    result = []
    for key, what in (("first", "branch feed, first build"), ("rebuild", "branch feed, rebuild")):
        seconds = statistics.median(rows[key])
        result.append(
            Figure(
                area="feed",
                what=what,
                seconds=seconds,
                floor="run_check of the branch",
                floor_seconds=floor,
                goal="≤ 20 ms",
                met=seconds <= FEED_GOAL_S,
                note=note if key == "first" else "",
            )
        )
    return result


if __name__ == "__main__":
    main()
