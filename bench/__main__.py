"""`python -m bench`: every figure of the performance goals at one size, as one table.

```sh
python -m bench --branches 2000                      # SQLite (bench/out/province-2000.db)
python -m bench --branches 10000 --db postgresql://postgres@127.0.0.1:5432/test
python -m bench --branches 10000 --reuse             # skip generating and importing
python -m bench --branches 2000 --only check,cli     # some areas only
```

Each area (``AREAS``) is a module with ``figures(ctx) -> list[Figure]``. The table has a row per
figure: time, the floor measured in the same run, the ratio, the goal, whether it is met, and
the peak RSS of the process that did the work.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import sys
import time
from collections.abc import Sequence

from bench import province
from bench.suite import Context, Figure
from monitor.core.rules import load_pack
from monitor.store import Store

#: Area name → module (each has ``figures(ctx: Context) -> list[Figure]``), in table order.
AREAS: dict[str, str] = {
    "cli": "bench.cli",
    "feed": "bench.feeds",
    "summary": "bench.summary",
    "check": "bench.check",
    "import": "bench.imports",
    "cycle": "bench.cycle",
}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--branches", type=int, default=2000)
    parser.add_argument("--db", help="SQLAlchemy URL (default: SQLite under bench/out/); EMPTIED")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--year", type=int, default=2026)
    parser.add_argument("--repeat", type=int, default=1, help="runs per in-process figure")
    parser.add_argument("--reuse", action="store_true", help="the --db already holds the province")
    parser.add_argument("--only", help="comma-separated areas: " + ", ".join(AREAS))
    return parser.parse_args(argv)


def _fmt_s(seconds: float | None) -> str:
    if seconds is None:
        return ""
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def render(ctx: Context, figures: Sequence[Figure]) -> str:
    """The markdown table of every figure."""
    header = ["area", "what", "time", "floor", "floor time", "ratio", "goal", "met", "peak RSS"]
    lines = [
        f"## {ctx.branches:,} branches on {ctx.backend}",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" if i < 2 else "---:" for i in range(len(header))) + "|",
    ]
    for f in figures:
        ratio = f"{f.ratio:.2f}x" if f.ratio is not None else ""
        met = "" if f.met is None else ("yes" if f.met else "**no**")
        rss = f"{f.peak_rss_kib / 1024:.0f} MiB" if f.peak_rss_kib else ""
        # A figure that is a memory reading only has no time (seconds 0).
        time_cell = _fmt_s(f.seconds) if f.seconds else ""
        cells = [f.area, f.what, time_cell, f.floor or "", _fmt_s(f.floor_seconds)]
        lines.append("| " + " | ".join([*cells, ratio, f.goal, met, rss]) + " |")
    notes = [f"- {f.area} / {f.what}: {f.note}" for f in figures if f.note]
    if notes:
        lines += ["", *notes]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    areas = list(AREAS) if not args.only else [a.strip() for a in args.only.split(",")]
    unknown = [a for a in areas if a not in AREAS]
    if unknown:
        sys.exit(f"unknown area(s): {', '.join(unknown)}; known: {', '.join(AREAS)}")
    url = args.db or province.default_db_url(province.DEFAULT_WORKDIR, args.branches)
    backend = "postgresql" if url.startswith("postgresql") else "sqlite"
    generated = province.generate(
        province.Sizes(args.branches), args.seed, args.year, province.DEFAULT_WORKDIR
    )
    if not args.reuse:
        province.reset_database(url)
        with Store.open(url) as store:
            province.import_registers(store, load_pack(), generated, dt.date(args.year, 12, 31))
    ctx = Context(
        branches=args.branches,
        db_url=url,
        generated=generated,
        year=args.year,
        repeat=args.repeat,
        backend=backend,
    )
    figures: list[Figure] = []
    for area in areas:
        started = time.perf_counter()
        module = importlib.import_module(AREAS[area])
        figures.extend(module.figures(ctx))
        print(f"[bench] {area}: {time.perf_counter() - started:.1f}s", file=sys.stderr)
    print(render(ctx, figures))


if __name__ == "__main__":
    main()
