"""How long the inspector's dashboard takes, cold and warm, before and after a change and
across a restart, against ``run_check`` of its scope.

    python -m bench.dashboard --branches 10000 [--db URL] [--reuse] [--repeat 2]

Builds a synthetic province with :mod:`bench.province` (or reuses ``--db`` with ``--reuse``),
adds an admin with an API token, and for three orgs — the province committee (every branch), a
city and a county — times in the same run, in process (the app through its ASGI test client:
authentication, the scope, the view-model, the template; no network):

- baseline: ``run_check`` of the org's subtree over the window the dashboard evaluates (from
  :func:`monitor.http.pages.dashboard_model.window_since` to as_of, with record ids), the fastest
  of ``--repeat``;
- cold: ``GET /dashboard/{org}`` with an empty cache and no snapshot (the evaluation in full,
  the late-entry query, the digests, the view-model, the page);
- warm: the same request again (the cached view-model, the ledger's counts, the page);
- +1 record, warm: one new record in a branch of the org, then the request (the change log,
  the branch re-judged, the view-model rebuilt from the digests);
- restart: the in-memory cache dropped (:func:`monitor.http.pages.dashboard_cache.forget`, as a
  new process), the same data directory, the same revision: the snapshot's view;
- restart +1 record: the cache dropped again and one more record added: the snapshot's pieces
  read and brought up to date incrementally (two records since the snapshot).

Snapshots go to a fresh temporary data directory. The app's clock is 20 November of the
province's year. Milliseconds and the ratios to the baseline go to stdout as a markdown table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from fastapi.testclient import TestClient

from bench import province
from monitor.accounts.model import Role
from monitor.accounts.store import AccountStore
from monitor.check import run_check
from monitor.core.domain import OrgType
from monitor.core.rules import RulePack, load_pack
from monitor.holidays import work_calendar
from monitor.http.api import api_app
from monitor.http.deps import AppState
from monitor.http.pages.dashboard_cache import DashboardCache, cache_of, forget
from monitor.http.pages.dashboard_model import window_since
from monitor.registers import readers
from monitor.store import Store

PASSWORD = "bench-password-1"
COLUMNS = ("cold", "warm", "+1 record, warm", "restart", "restart +1 record")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.dashboard", description=__doc__)
    parser.add_argument("--branches", type=int, default=10_000)
    parser.add_argument("--db", help="database URL (default: a SQLite file in bench/out)")
    parser.add_argument("--reuse", action="store_true", help="use --db as it is, no import")
    parser.add_argument("--repeat", type=int, default=2, help="baseline runs (fastest shown)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    url = args.db or province.default_db_url(province.DEFAULT_WORKDIR, args.branches)
    year = 2026
    pack = load_pack()
    if not args.reuse:
        province.prepare(url, args.branches, args.seed, year, pack)
    now = dt.datetime(year, 11, 20, 2, tzinfo=dt.UTC)
    today = dt.date(year, 11, 20)
    since = window_since(pack, today)
    with Store.open(url) as store, tempfile.TemporaryDirectory() as scratch:
        accounts = AccountStore(store)
        admin = f"bench-admin-{int(time.time())}"
        accounts.add_user(admin, PASSWORD, Role.ADMIN, None, now=now)
        headers = {"Authorization": f"Bearer {accounts.create_token(admin, 'bench', now=now)[0]}"}
        orgs = store.orgs()
        root = next(o.code for o in orgs if o.parent is None)
        city = min(o.code for o in orgs if o.parent == root)
        county = min(o.code for o in orgs if o.parent == city)
        kinds = {o.code: o.type for o in orgs}
        data = Path(scratch)
        state = AppState(
            store, pack, work_calendar(warn=lambda *_: None), clock=lambda: now, data_dir=data
        )
        adder = _Records(store, pack, data, today)
        rows = []
        with TestClient(api_app(state)) as client:
            for code in (root, city, county):
                subtree = store.subtree(code)
                branches = [c for c in subtree if kinds[c] is OrgType.BRANCH]
                province._progress(f"{code}: {len(branches):,} branches, baseline ...")
                base_s, check = province.best_of(
                    args.repeat,
                    lambda code=code: run_check(  # type: ignore[misc]
                        store, pack, as_of=today, since=since, org=code, with_records=True
                    ),
                )
                findings = len(check.findings)
                del check

                def get(code: str = code) -> float:
                    return province.elapsed_ms(lambda: _get(client, code, headers))

                def cache() -> DashboardCache:
                    return cache_of(store, data / "cache" / "dashboard")

                forget(store)
                province._progress(f"  {base_s:.2f}s; cold request ...")
                cold = get()
                cache().wait()  # the snapshot written
                warm = get()
                forget(store)
                restart = get()  # the snapshot's view: its revision is current
                assert (cache().loaded, cache().builds) == (1, 0), "not the snapshot's view"
                cache().wait()  # its pieces read in the background
                adder.add(branches[len(branches) // 2])
                after = get()
                assert (cache().builds, cache().full) == (1, 0), "not incremental"
                forget(store)  # the snapshot is of the revision before the record
                adder.add(branches[len(branches) // 3])
                restart_after = get()
                assert (cache().loaded_pieces, cache().full) == (1, 0), "not the snapshot"
                times = (cold, warm, after, restart, restart_after)
                rows.append((code, len(branches), findings, base_s * 1000, times))
                province._progress(
                    "  " + ", ".join(f"{n} {t:.0f} ms" for n, t in zip(COLUMNS, times, strict=True))
                )
                forget(store)
        dialect = store.dialect
    print(f"## Dashboard, {args.branches:,} branches, {dialect} (as of {today}, from {since})\n")
    head = " | ".join(f"{name} ms | ratio" for name in COLUMNS)
    print(f"| org | branches | findings | run_check ms | {head} |")
    print("|---|---:|---:|---:|" + "---:|---:|" * len(COLUMNS))
    for code, count, findings, base, times in rows:
        cells = " | ".join(f"{t:.0f} | {t / base:.3f}x" for t in times)
        print(f"| {code} | {count:,} | {findings:,} | {base:.0f} | {cells} |")
    sys.stdout.flush()


class _Records:
    """New records, one at a time, through the meetings import (as the API stores them)."""

    def __init__(self, store: Store, pack: RulePack, workdir: Path, today: dt.date) -> None:
        self.store, self.pack, self.workdir, self.today = store, pack, workdir, today
        self.count = 0

    def add(self, org: str) -> None:
        self.count += 1
        path = self.workdir / f"record-{self.count}.csv"
        day = self.today - dt.timedelta(days=self.count)
        path.write_text(
            "组织编码,会议类型,日期,应到人数,实到人数,授课人,主题,参会人员,录入日期\n"
            f"{org},谈心谈话,{day},2,2,,bench {time.time_ns()},,{self.today}\n",
            encoding="utf-8",
        )
        self.store.import_meetings(readers.read_meetings(path, today=self.today), self.pack.catalog)


def _get(client: TestClient, code: str, headers: dict[str, str]) -> None:
    reply = client.get(f"/dashboard/{code}", headers=headers, follow_redirects=False)
    assert reply.status_code == 200, reply.text[:500]


if __name__ == "__main__":
    main()
