"""The `check` area of ``python -m bench``: `orglife check` of the whole province, JSON and table.

The floor is a fresh interpreter (:mod:`bench.check_floor`) that runs one ``GROUP BY`` over the
window's records and writes the groups as JSON to stdout. The figures are ``orglife check
--since Y-01-01 --as-of Y-12-31 --format json`` and ``--format table``, each in a fresh
interpreter (:func:`bench.suite.run_child`), with its own peak RSS and output size.

`check` also updates the problem ledger. So that every timed run does the same work, the area
first brings the ledger up to date in this process (``run_check`` + ``update_ledger``, as the
command does, untimed): the timed runs then find every final miss's item already open.
"""

from __future__ import annotations

import datetime as dt

from bench.suite import ChildRun, Context, Figure, run_child, run_module
from monitor.check import run_check, update_ledger
from monitor.core.rules import load_pack
from monitor.store import Store

GOAL = 3.0


def run_floor(ctx: Context) -> ChildRun:
    """``python -m bench.check_floor`` in a fresh interpreter, timed like :func:`run_child`."""
    return run_module(
        "bench.check_floor", [ctx.db_url, ctx.since.isoformat(), ctx.as_of.isoformat()]
    )


def _mib(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def figures(ctx: Context) -> list[Figure]:
    pack = load_pack()
    with Store.open(ctx.db_url) as store:
        result = run_check(store, pack, as_of=ctx.as_of, since=ctx.since, with_records=True)
        update_ledger(store, pack, result, today=ctx.as_of, now=dt.datetime.now(dt.UTC))
        findings = len(result.findings)
        del result
    floor = run_floor(ctx)
    floor_name = "GROUP BY → JSON (child)"
    common = ["--db", ctx.db_url, "check", "--since", ctx.since.isoformat()]
    common += ["--as-of", ctx.as_of.isoformat()]
    out: list[Figure] = []
    for fmt in ("json", "table"):
        run = run_child([*common, "--format", fmt])
        out.append(
            Figure(
                area="check",
                what=f"orglife check --format {fmt} (child)",
                seconds=run.seconds,
                floor=floor_name,
                floor_seconds=floor.seconds,
                goal=f"≤ {GOAL:g}x",
                met=run.seconds <= GOAL * floor.seconds,
                peak_rss_kib=run.peak_rss_kib,
                note=(
                    f"{findings:,} findings, {_mib(run.stdout_bytes)} on stdout; the floor wrote "
                    f"{_mib(floor.stdout_bytes)}, peak RSS "
                    f"{(floor.peak_rss_kib or 0) / 1024:.0f} MiB"
                ),
            )
        )
    # Where the rest goes: the same command printing almost nothing (the exempt findings only)
    # is the evaluation, the ledger update and the interpreter's start, without the output.
    run = run_child([*common, "--format", "json", "--status", "exempt"])
    out.append(
        Figure(
            area="check",
            what="… the same, --status exempt (child)",
            seconds=run.seconds,
            floor=floor_name,
            floor_seconds=floor.seconds,
            peak_rss_kib=run.peak_rss_kib,
            note=(
                "run_check + update_ledger + start-up, next to no output "
                f"({_mib(run.stdout_bytes)}): what the output adds is the difference"
            ),
        )
    )
    return out
