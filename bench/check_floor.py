"""The floor of `orglife check --format json` (``bench.check``): one GROUP BY, its groups as JSON.

``python -m bench.check_floor URL SINCE AS_OF`` opens the database with SQLAlchemy, runs
:data:`bench.province.BASELINE_SQL` over the window the check judges and writes the groups to
stdout as one JSON array; the last line on stderr is ``bench.child VmHWM <KiB>``.
"""

from __future__ import annotations

import datetime as dt
import json
import sys

from sqlalchemy import create_engine

from bench.province import BASELINE_SQL
from bench.suite import vmhwm_kib
from monitor.core.evaluator import Window
from monitor.core.rules import load_pack


def main() -> None:
    url, since, as_of = sys.argv[1:4]
    window = Window.for_(dt.date.fromisoformat(as_of), dt.date.fromisoformat(since))
    months = window.months(load_pack())
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            BASELINE_SQL, {"as_of": window.as_of, "m0": months.start, "m1": months.stop}
        ).all()
    engine.dispose()
    sys.stdout.write(json.dumps([list(row) for row in rows]))
    sys.stdout.flush()
    sys.stderr.write(f"\nbench.child VmHWM {vmhwm_kib() or 0}\n")


if __name__ == "__main__":
    main()
