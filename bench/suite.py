"""The parts `python -m bench` is made of: a prepared province, figures, and a child runner.

Each area's bench module exposes ``figures(ctx: Context) -> list[Figure]``; ``bench.__main__``
prepares the province once per backend and calls them in turn. A figure is a time, the floor it
is compared with (measured in the same run, so machine load does not spoil the ratio), the goal,
and the peak RSS of the process that did the work where that is known.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# Defined in bench.child, which must import nothing but the command it runs.
from bench.child import vmhwm_kib
from bench.province import Generated, best_of

__all__ = ["ChildRun", "Context", "Figure", "best_of", "run_child", "run_module", "vmhwm_kib"]

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True, slots=True)
class Context:
    """A province already generated and imported, for the figures to measure against."""

    branches: int
    db_url: str
    #: The generated register files (``.orgs``, ``.members``, ``.meetings`` CSV paths).
    generated: Generated
    year: int
    repeat: int
    #: "sqlite" or "postgresql".
    backend: str

    @property
    def as_of(self) -> dt.date:
        return dt.date(self.year, 12, 31)

    @property
    def since(self) -> dt.date:
        return dt.date(self.year, 1, 1)


@dataclass(frozen=True, slots=True)
class Figure:
    """One row of the bench's table."""

    area: str
    what: str
    seconds: float
    #: The floor's name and time, measured in the same run (None where the goal is absolute).
    floor: str | None = None
    floor_seconds: float | None = None
    #: The goal, e.g. "≤ 3x", "≥ 100,000 rows/s", "< 0.3 s".
    goal: str = ""
    met: bool | None = None
    #: Peak resident memory (VmHWM) of the process that did the work, in KiB.
    peak_rss_kib: int | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.floor_seconds is None or self.floor_seconds <= 0:
            return None
        return self.seconds / self.floor_seconds


@dataclass(frozen=True, slots=True)
class ChildRun:
    """A command run in a fresh interpreter: wall time, its own peak RSS and its output size."""

    seconds: float
    peak_rss_kib: int | None
    stdout_bytes: int
    returncode: int


def run_child(
    argv: Sequence[str], *, env: dict[str, str] | None = None, cwd: Path | None = None
) -> ChildRun:
    """Run ``python -m bench.child ARGV…`` (an orglife command in-process) and time it."""
    return run_module("bench.child", argv, env=env, cwd=cwd)


def run_module(
    module: str,
    argv: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> ChildRun:
    """Run ``python -m MODULE ARGV…`` in a fresh interpreter and time it.

    The module reports its own VmHWM as the last line on stderr (``bench.child VmHWM <KiB>``);
    ru_maxrss of a child is unusable on Linux (exec carries the replaced address space's peak
    into it). A failing command raises with the end of its stderr.
    """
    full_env = dict(os.environ if env is None else env)
    full_env["PYTHONPATH"] = os.pathsep.join(
        filter(None, (str(REPO_ROOT), full_env.get("PYTHONPATH")))
    )
    command = [sys.executable, "-m", module, *argv]
    started = time.perf_counter()
    # stderr goes to a file: a pipe read only after stdout could fill up and stall the child.
    with (
        tempfile.TemporaryFile() as err_file,
        subprocess.Popen(
            command, cwd=cwd or REPO_ROOT, env=full_env, stdout=subprocess.PIPE, stderr=err_file
        ) as child,
    ):
        assert child.stdout is not None
        size = 0
        while chunk := child.stdout.read(1 << 20):
            size += len(chunk)
        returncode = child.wait()
        err_file.seek(0)
        err = err_file.read().decode("utf-8", "replace")
    seconds = time.perf_counter() - started
    if returncode != 0:
        raise RuntimeError(f"{module} {' '.join(argv)} failed ({returncode}):\n{err[-2000:]}")
    peak = next(
        (
            int(line.split()[2])
            for line in reversed(err.splitlines())
            if line.startswith("bench.child VmHWM ")
        ),
        None,
    )
    return ChildRun(seconds, peak, size, returncode)
