"""The `cli` area of `python -m bench`: `orglife --version` and `orglife --help` start-up.

Each command runs 10 times in a fresh interpreter (``bench.suite.run_child``); the figure is the
median wall time, against the floor of a bare ``python -c pass`` timed the same way in the same
run, so the reader sees how much of it is the interpreter's own start-up. Goal: < 0.3 s.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

from bench.suite import Context, Figure, run_child

RUNS = 10
GOAL_SECONDS = 0.3


def bare_python() -> float:
    """Median wall time of ``python -c pass``, the interpreter's start-up alone."""
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def figures(ctx: Context) -> list[Figure]:
    """`orglife --version` and `orglife --help`: median of 10 child runs each."""
    floor = bare_python()
    result = []
    for argv in (["--version"], ["--help"]):
        runs = [run_child(argv) for _ in range(RUNS)]
        seconds = statistics.median(r.seconds for r in runs)
        peaks = [r.peak_rss_kib for r in runs if r.peak_rss_kib]
        result.append(
            Figure(
                area="cli",
                what=f"orglife {argv[0]} (median of {RUNS})",
                seconds=seconds,
                floor="python -c pass",
                floor_seconds=floor,
                goal=f"< {GOAL_SECONDS} s",
                met=seconds < GOAL_SECONDS,
                peak_rss_kib=max(peaks) if peaks else None,
            )
        )
    return result
