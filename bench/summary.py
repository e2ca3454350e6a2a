"""How long the monthly summary of a whole province takes, against evaluating it once.

    python -m bench.summary --branches 10000 [--db URL] [--reuse] [--repeat 2]

Builds a synthetic province with :mod:`bench.province` (or reuses ``--db`` with ``--reuse``),
then for the province committee's subtree (every org) and two months times, in the same run:

- baseline: ``run_check`` of the subtree with the ids of the counted records, over the same
  window the summary evaluates (what ``orglife check --org P --since … --as-of …`` does before
  printing);
- summary: ``build_summary`` (that evaluation, the late-entry query, the ledger query and the
  pure ``summarise``), and each of its extra parts alone;
- rendering the summary as json, md, html and xlsx (time and size).

November is judged on 31 December (its records entered on import day, 31 December, are late
entries); December on 10 January (after its grace, so its periods are final). Fastest of
``--repeat`` runs, in seconds, with the ratio to the baseline, as markdown tables on stdout.
On PostgreSQL the tables are dropped afterwards unless ``--keep``.

``figures(ctx)`` is the ``summary`` area of ``python -m bench``: December's province workbook
(xlsx) rendered, against ``run_check`` of the province over the summary's window; and the whole
``orglife report --format xlsx`` in a fresh interpreter, for its peak memory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

from bench import province
from bench.suite import Context, Figure, run_child
from monitor.check import run_check
from monitor.core.periods import Period
from monitor.core.rules import RulePack, load_pack
from monitor.reporting import render_html, render_json, render_md, render_xlsx
from monitor.reporting.build import build_summary, late_records, ledger_items
from monitor.reporting.summary import (
    MonthlySummary,
    parse_month,
    record_months,
    since_for,
    summarise,
)
from monitor.store import Store, schema

ROOT = "P"  # the province committee of bench.province


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.summary", description=__doc__)
    parser.add_argument("--branches", type=int, default=10_000)
    parser.add_argument("--db", help="database URL (default: a SQLite file in bench/out)")
    parser.add_argument("--reuse", action="store_true", help="use --db as it is, no import")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each step (fastest shown)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL tables")
    args = parser.parse_args(argv)
    url = args.db or province.default_db_url(province.DEFAULT_WORKDIR, args.branches)
    year = 2026
    pack = load_pack()
    if not args.reuse:
        province.prepare(url, args.branches, args.seed, year, pack)
    cases = [
        (parse_month(f"{year}-11"), dt.date(year, 12, 31)),
        (parse_month(f"{year}-12"), dt.date(year + 1, 1, 10)),
    ]
    try:
        with Store.open(url) as store:
            dialect = store.dialect
            counts = store.counts()
            reports = [_case(store, pack, month, as_of, args.repeat) for month, as_of in cases]
    finally:
        if not args.keep and schema.normalise_url(url).get_backend_name() == "postgresql":
            province.reset_database(url)  # leave the schema as it was: empty
    print(
        f"## Monthly summary of the province root, {args.branches:,} branches, {dialect}\n\n"
        f"{counts['orgs']:,} orgs, {counts['members']:,} members, "
        f"{counts['meetings']:,} meeting records; fastest of {args.repeat} runs.\n"
    )
    for text in reports:
        print(text)
    sys.stdout.flush()


def _case(store: Store, pack: RulePack, month: Period, as_of: dt.date, repeat: int) -> str:
    since = since_for(pack, month)
    province._progress(f"{month.label} as of {as_of}: baseline ...")
    base_s, check = province.best_of(
        repeat, lambda: run_check(store, pack, as_of=as_of, since=since, org=ROOT)
    )
    evaluated = len(check.findings)
    del check  # timed steps run with as little else alive as the baseline had
    province._progress(f"  {base_s:.2f}s, {evaluated:,} findings; summary ...")
    summary_s, summary = province.best_of(
        repeat, lambda: build_summary(store, pack, org=ROOT, month=month, as_of=as_of)
    )
    # The summary's parts alone, on an evaluation made again (untimed).
    check = run_check(store, pack, as_of=as_of, since=since, org=ROOT)
    codes = list(check.registers.orgs)
    months = record_months(pack, month)
    late_s, late = province.best_of(
        repeat,
        lambda: late_records(store, codes, months, as_of=as_of, min_days=summary.late_days),
    )
    ledger_s, items = province.best_of(repeat, lambda: ledger_items(store, codes))
    pure = partial(summarise, check, pack, org=ROOT, month=month, late_records=late, ledger=items)
    pure_s, _ = province.best_of(repeat, pure)
    del check, pure
    rows = [
        ("baseline: run_check of the subtree (with record ids)", base_s),
        ("summary: build_summary (all of the below)", summary_s),
        ("… late-entry query (records entered > 7 days late)", late_s),
        ("… ledger items of the subtree", ledger_s),
        ("… summarise (pure)", pure_s),
    ]
    renderers: list[tuple[str, Callable[[MonthlySummary], str | bytes]]] = [
        ("json", render_json),
        ("md", render_md),
        ("html", render_html),
        ("xlsx", render_xlsx),
    ]
    sizes: list[tuple[str, float, int]] = []
    for name, render in renderers:
        province._progress(f"  rendering {name} ...")
        seconds, output = province.best_of(repeat, partial(render, summary))
        size = len(output.encode() if isinstance(output, str) else output)
        sizes.append((name, seconds, size))
    lines = [
        f"### {month.label_zh}（as of {as_of}, window from {since}）\n",
        f"{evaluated:,} findings evaluated, {len(summary.rows):,} end in the month "
        f"(required {summary.totals.required:,}, missed {summary.totals.missed:,}); "
        f"{len(summary.branches):,} branches, {len(summary.weak):,} weak-and-lax candidates; "
        f"{len(late):,} records entered > {summary.late_days} days late, "
        f"{len(summary.late_entries):,} of them late entries of the month; "
        f"{len(items):,} ledger items.\n",
        "| step | seconds | ratio to baseline |",
        "|---|---:|---:|",
    ]
    lines += [f"| {label} | {s:.3f} | {s / base_s:.2f}x |" for label, s in rows]
    lines += [f"| render {name} ({size / 1024:,.0f} KiB) | {s:.3f} | {s / base_s:.2f}x |"
              for name, s, size in sizes]  # fmt: skip
    return "\n".join(lines) + "\n"


WORKBOOK_GOAL_S = 5.0


def figures(ctx: Context) -> list[Figure]:
    """December's province workbook, rendered in process and made by the CLI in a child."""
    pack = load_pack()
    month, as_of = parse_month(f"{ctx.year}-12"), dt.date(ctx.year + 1, 1, 10)
    since = since_for(pack, month)
    with Store.open(ctx.db_url) as store:
        floor, check = province.best_of(
            ctx.repeat, lambda: run_check(store, pack, as_of=as_of, since=since, org=ROOT)
        )
        del check
        summary = build_summary(store, pack, org=ROOT, month=month, as_of=as_of)
    seconds, workbook = province.best_of(ctx.repeat, partial(render_xlsx, summary))
    rows = len(summary.rows)
    with tempfile.TemporaryDirectory() as scratch:
        child = run_child(
            [
                "--db",
                ctx.db_url,
                "report",
                "--org",
                ROOT,
                "--month",
                month.label,
                "--as-of",
                as_of.isoformat(),
                "--format",
                "xlsx",
                "-o",
                str(Path(scratch) / "report.xlsx"),
            ]
        )
    floor_name = "run_check of the province"
    return [
        Figure(
            area="summary",
            what="province workbook (xlsx), December, rendered",
            seconds=seconds,
            floor=floor_name,
            floor_seconds=floor,
            goal="≤ 5 s",
            met=seconds <= WORKBOOK_GOAL_S,
            note=f"{rows:,} rows in 明细, {len(workbook) / 2**20:.1f} MiB; "
            f"as of {as_of}, window from {since}",
        ),
        Figure(
            area="summary",
            what="orglife report --format xlsx, December (child)",
            seconds=child.seconds,
            floor=floor_name,
            floor_seconds=floor,
            peak_rss_kib=child.peak_rss_kib,
            note="the evaluation, the summary and the workbook, in a fresh interpreter",
        ),
    ]


if __name__ == "__main__":
    main()
