"""How long the inspector's dashboard takes, cold and warm, against ``run_check`` of its scope.

    python -m bench.dashboard --branches 10000 [--db URL] [--reuse] [--repeat 2]

Builds a synthetic province with :mod:`bench.province` (or reuses ``--db`` with ``--reuse``),
adds an admin with an API token, and for three orgs — the province committee (every branch), a
city and a county — times in the same run, in process (the app through its ASGI test client:
authentication, the scope, the view-model, the template; no network):

- baseline: ``run_check`` of the org's subtree over the window the dashboard evaluates (from
  :func:`monitor.http.pages.dashboard_model.window_since` to as_of, with record ids), the fastest
  of ``--repeat``;
- cold: ``GET /dashboard/{org}`` with an empty cache (the first request: the evaluation, the
  late-entry query, two monthly summaries, the view-model, the page);
- warm: the same request again (the cached view-model, the ledger's counts, the page).

The app's clock is 20 November of the province's year. Milliseconds and the ratios to the
baseline go to stdout as a markdown table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Sequence

from fastapi.testclient import TestClient

from bench import province
from monitor.accounts.model import Role
from monitor.accounts.store import AccountStore
from monitor.check import run_check
from monitor.core.domain import OrgType
from monitor.core.rules import load_pack
from monitor.holidays import work_calendar
from monitor.http.api import api_app
from monitor.http.deps import AppState
from monitor.http.pages.dashboard_cache import cache_of
from monitor.http.pages.dashboard_model import window_since
from monitor.store import Store

PASSWORD = "bench-password-1"


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
    with Store.open(url) as store:
        accounts = AccountStore(store)
        admin = f"bench-admin-{int(time.time())}"
        accounts.add_user(admin, PASSWORD, Role.ADMIN, None, now=now)
        headers = {"Authorization": f"Bearer {accounts.create_token(admin, 'bench', now=now)[0]}"}
        orgs = store.orgs()
        root = next(o.code for o in orgs if o.parent is None)
        city = min(o.code for o in orgs if o.parent == root)
        county = min(o.code for o in orgs if o.parent == city)
        kinds = {o.code: o.type for o in orgs}
        state = AppState(store, pack, work_calendar(warn=lambda *_: None), clock=lambda: now)
        rows = []
        with TestClient(api_app(state)) as client:
            for code in (root, city, county):
                subtree = store.subtree(code)
                count = sum(1 for c in subtree if kinds[c] is OrgType.BRANCH)
                province._progress(f"{code}: {count:,} branches, baseline ...")
                base_s, check = province.best_of(
                    args.repeat,
                    lambda code=code: run_check(  # type: ignore[misc]
                        store, pack, as_of=today, since=since, org=code, with_records=True
                    ),
                )
                findings = len(check.findings)
                del check
                cache = cache_of(store)
                before = cache.builds
                province._progress(f"  {base_s:.2f}s; cold request ...")
                cold_ms = province.elapsed_ms(lambda code=code: _get(client, code, headers))  # type: ignore[misc]
                warm_ms = province.elapsed_ms(lambda code=code: _get(client, code, headers))  # type: ignore[misc]
                assert cache.builds == before + 1, "the warm request evaluated again"
                base_ms = base_s * 1000
                rows.append((code, count, findings, base_ms, cold_ms, warm_ms))
                province._progress(f"  cold {cold_ms:.0f} ms, warm {warm_ms:.0f} ms")
        dialect = store.dialect
    print(f"## Dashboard, {args.branches:,} branches, {dialect} (as of {today}, from {since})\n")
    print("| org | branches | findings | run_check ms | cold ms | ratio | warm ms | ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for code, count, findings, base, cold, warm in rows:
        print(
            f"| {code} | {count:,} | {findings:,} | {base:.0f} | {cold:.0f} | "
            f"{cold / base:.2f}x | {warm:.0f} | {warm / base:.3f}x |"
        )
    sys.stdout.flush()


def _get(client: TestClient, code: str, headers: dict[str, str]) -> None:
    reply = client.get(f"/dashboard/{code}", headers=headers, follow_redirects=False)
    assert reply.status_code == 200, reply.text[:500]


if __name__ == "__main__":
    main()
