"""Area ``cycle`` of ``python -m bench``: the service's hourly cycle with kept verdicts (issue 14)
against the full cycle it replaces.

On a copy of the province (SQLite; on PostgreSQL the database itself: each run adds 100
records), with an inspector chat at a county and a branch chat, as of 31 December:

- floor: ``run_cycle`` without a state, as every cycle ran before: the full evaluation, the
  planner over every finding, the ledger, escalation (after one untimed full cycle, so it is
  the steady state: the misses already announced and in the ledger);
- kept, first cycle: ``run_cycle(state=…)`` with a new state: judged in full, verdicts kept;
- kept, nothing changed: the next cycle (goal at 100,000 branches: ≤ 0.2 s);
- kept, 100 new records: 100 records in 100 branches (one import), then the cycle (≤ 1 s);
- … judging only: the same two steps for :func:`monitor.service.runner.bring_up_to_date`
  alone (a second state): the part the kept verdicts make incremental, without the alert
  states, the ledger's sweep and escalation, which read every ledger item each cycle;
- kept, next day + grace end: as_of 6 January: January's periods are new and December's grace
  has ended, judged for every subject (no goal: once a day);
- serve-like RSS: a fresh interpreter that runs one kept full cycle and reports its own
  VmHWM (goal at 100,000 branches: < 1 GiB); the note gives the same for a cycle without a
  state (today's ``orglife alerts``-style full cycle) and the child's VmRSS after the cycle.

The goals are stated at 100,000 branches; at a smaller size ``met`` says whether the time is
within the goal at the size measured, and the note says so.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench.suite import REPO_ROOT, Context, Figure, vmhwm_kib
from monitor.alerts.plan import ChatRole
from monitor.alerts.store import AlertStore
from monitor.core.rules import load_pack
from monitor.holidays import work_calendar
from monitor.registers import readers
from monitor.service.runner import CycleReport, CycleState, bring_up_to_date, run_cycle
from monitor.store import Store

AREA = "cycle"
NEW_RECORDS = 100
GOAL_SIZE = 100_000


def _url_copy(ctx: Context, scratch: Path) -> str:
    """A copy of the province to write to (SQLite), or the database itself (PostgreSQL)."""
    if ctx.backend != "sqlite":
        return ctx.db_url
    source = Path(ctx.db_url.removeprefix("sqlite:///"))
    target = scratch / "cycle.db"
    shutil.copyfile(source, target)
    return f"sqlite:///{target}"


def _records(store: Store, scratch: Path, as_of: dt.date) -> None:
    """One import of NEW_RECORDS 支部党员大会 records, one in each of as many branches."""
    branches = sorted(o.code for o in store.orgs() if o.type.value == "branch")
    step = max(1, len(branches) // NEW_RECORDS)
    picked = branches[::step][:NEW_RECORDS]
    head = "组织编码,会议类型,日期,应到人数,实到人数,授课人,主题,参会人员,录入日期\n"
    rows = "".join(f"{code},支部党员大会,{as_of},9,9,,bench,,{as_of}\n" for code in picked)
    path = scratch / f"cycle-{time.monotonic_ns()}.csv"
    path.write_text(head + rows, encoding="utf-8")
    parsed = readers.read_meetings(path, today=as_of, historical=True)
    store.import_meetings(parsed, load_pack().catalog)


def _timed(step: object) -> tuple[float, CycleReport]:
    started = time.perf_counter()
    report = step()  # type: ignore[operator]
    return time.perf_counter() - started, report


def figures(ctx: Context) -> list[Figure]:
    pack = load_pack()
    workdays = work_calendar(warn=lambda *_: None)
    as_of = ctx.as_of
    now = dt.datetime.combine(as_of, dt.time(2), dt.UTC)
    at_goal = ctx.branches >= GOAL_SIZE
    size = f"at {ctx.branches:,} branches" + ("" if at_goal else f" (goal stated at {GOAL_SIZE:,})")
    with tempfile.TemporaryDirectory(prefix="bench-cycle-") as tmp:
        scratch = Path(tmp)
        url = _url_copy(ctx, scratch)
        with Store.open(url) as store:
            orgs = store.orgs()
            county = min(o.code for o in orgs if o.type.value == "committee" and o.parent)
            branch = min(o.code for o in orgs if o.type.value == "branch")
            alerts = AlertStore(store)
            if not alerts.chats():
                alerts.add_chat(county, -900, ChatRole.INSPECTOR, now=now)
                alerts.add_chat(branch, -101, ChatRole.BRANCH, now=now)

            def full() -> CycleReport:
                return run_cycle(store, pack, workdays, as_of=as_of, now=now, reminders=False)

            state = CycleState()

            def kept(day: dt.date = as_of) -> CycleReport:
                return run_cycle(
                    store, pack, workdays, as_of=day, now=now, reminders=False, state=state
                )

            judging = CycleState()  # the judging alone (bring_up_to_date), without the rest

            def judge() -> float:
                started = time.perf_counter()
                bring_up_to_date(store, pack, judging, as_of)
                return time.perf_counter() - started

            full()  # the first cycle announces and opens the ledger: not the steady state
            floor_s, floor = _timed(full)
            first_s, first = _timed(kept)
            quiet_s, quiet = _timed(kept)
            judge()
            quiet_judge_s = judge()
            _records(store, scratch, as_of)
            added_s, added = _timed(kept)
            added_judge_s = judge()
            later = as_of + dt.timedelta(days=6)
            day_s, day = _timed(lambda: kept(later))
        same = (
            (first.findings, first.missed)
            == (floor.findings, floor.missed)
            == (
                quiet.findings,
                quiet.missed,
            )
        )
        peak, rss = _child(url, as_of, kept=True)
        plain_peak, _ = _child(url, as_of, kept=False)
    floor_name = "full cycle"
    rows = [
        Figure(AREA, "full cycle (no state)", floor_s, note=f"{floor.findings:,} findings"),
        Figure(
            AREA,
            "kept, first cycle (in full)",
            first_s,
            floor_name,
            floor_s,
            note="" if same else "**totals differ from the full cycle's**",
        ),
        Figure(
            AREA,
            "kept, nothing changed",
            quiet_s,
            floor_name,
            floor_s,
            "≤ 0.2 s at 100k",
            quiet_s <= 0.2,
            note=f"{size}; enqueued {quiet.total}",
        ),
        Figure(
            AREA,
            f"kept, {NEW_RECORDS} new records",
            added_s,
            floor_name,
            floor_s,
            "≤ 1 s at 100k",
            added_s <= 1.0,
            note=f"{size}; findings {added.findings:,}, missed {added.missed:,}",
        ),
        Figure(
            AREA,
            "… judging only, nothing changed",
            quiet_judge_s,
            floor_name,
            floor_s,
            "≤ 0.2 s at 100k",
            quiet_judge_s <= 0.2,
            note=f"{size}; bring_up_to_date alone: no planner, ledger or escalation",
        ),
        Figure(
            AREA,
            f"… judging only, {NEW_RECORDS} new records",
            added_judge_s,
            floor_name,
            floor_s,
            "≤ 1 s at 100k",
            added_judge_s <= 1.0,
            note=f"{size}; bring_up_to_date alone",
        ),
        Figure(
            AREA,
            "kept, 6 days later (new periods, grace ended)",
            day_s,
            floor_name,
            floor_s,
            note=f"as of {later}: enqueued {day.total:,}, ledger opened "
            f"{day.ledger.opened if day.ledger else 0:,}",
        ),
        Figure(
            AREA,
            "serve-like RSS after a kept full cycle",
            0.0,
            goal="< 1 GiB at 100k",
            met=peak is not None and peak < 1024 * 1024,
            peak_rss_kib=peak,
            note=f"{size}; VmRSS after the cycle {rss or 0:,} KiB; a full cycle without a "
            f"state peaks at {plain_peak or 0:,} KiB",
        ),
    ]
    return rows


def _child(url: str, as_of: dt.date, *, kept: bool) -> tuple[int | None, int | None]:
    """One full cycle in a fresh interpreter (kept verdicts or not): its VmHWM and VmRSS."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(REPO_ROOT), env.get("PYTHONPATH"))))
    argv = [sys.executable, "-m", "bench.cycle", url, as_of.isoformat(), "kept" if kept else ""]
    done = subprocess.run(argv, env=env, cwd=REPO_ROOT, capture_output=True, check=True)
    result = json.loads(done.stdout.decode().strip().splitlines()[-1])
    return result["vmhwm"], result["vmrss"]


def _vmrss_kib() -> int | None:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return None


def main(argv: Sequence[str]) -> None:
    """The child: ``python -m bench.cycle URL AS_OF [kept]``; prints its VmHWM and VmRSS."""
    url, day = argv[0], dt.date.fromisoformat(argv[1])
    state = CycleState() if len(argv) > 2 and argv[2] == "kept" else None
    now = dt.datetime.combine(day, dt.time(2), dt.UTC)
    with Store.open(url) as store:
        run_cycle(
            store,
            load_pack(),
            work_calendar(warn=lambda *_: None),
            as_of=day,
            now=now,
            reminders=False,
            state=state,
        )
        print(json.dumps({"vmhwm": vmhwm_kib(), "vmrss": _vmrss_kib()}))


if __name__ == "__main__":
    main(sys.argv[1:])
