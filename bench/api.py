"""How long ``GET /api/v1/findings`` takes, against ``run_check`` of the same scope.

    python -m bench.api --branches 10000 [--db URL] [--reuse] [--sample 20]

Builds a synthetic province with :mod:`bench.province` (or reuses ``--db``), adds a secretary
for each sampled branch and an admin, and times in the same run, in process (the ASGI app
through its test client: no network, every layer of the API included — authentication, the
scope, judging, JSON):

- one branch: the secretary's ``GET /api/v1/findings?as_of=…`` against ``run_check`` of the
  branch's subtree (medians over the sample);
- the province: the admin's ``GET /api/v1/findings?as_of=…`` (every finding) against
  ``run_check`` of everything.

Medians in milliseconds and the ratio to the baseline go to stdout as a markdown table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
from collections.abc import Sequence
from functools import partial

from fastapi.testclient import TestClient

from bench import province
from monitor.accounts.model import Role
from monitor.accounts.store import AccountStore
from monitor.check import run_check
from monitor.core.rules import load_pack
from monitor.holidays import work_calendar
from monitor.http.api import api_app
from monitor.http.deps import AppState
from monitor.store import Store

PASSWORD = "bench-password-1"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.api", description=__doc__)
    parser.add_argument("--branches", type=int, default=10_000)
    parser.add_argument("--db", help="database URL (default: a SQLite file in bench/out)")
    parser.add_argument("--reuse", action="store_true", help="use --db as it is, no import")
    parser.add_argument("--sample", type=int, default=20, help="branches timed (default 20)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    url = args.db or province.default_db_url(province.DEFAULT_WORKDIR, args.branches)
    year = 2026
    pack = load_pack()
    if not args.reuse:
        province.prepare(url, args.branches, args.seed, year, pack)
    as_of = dt.date(year, 11, 20)
    now = dt.datetime.now(dt.UTC)
    with Store.open(url) as store:
        accounts = AccountStore(store)
        branches = sorted(o.code for o in store.orgs() if o.type.value == "branch")
        sample = random.Random(args.seed).sample(branches, min(args.sample, len(branches)))
        tokens: dict[str, str] = {}
        for n, code in enumerate(sample):
            name = f"bench-sec-{n}-{int(now.timestamp())}"
            accounts.add_user(name, PASSWORD, Role.SECRETARY, code, now=now)
            tokens[code] = accounts.create_token(name, "bench", now=now)[0]
        admin = f"bench-admin-{int(now.timestamp())}"
        accounts.add_user(admin, PASSWORD, Role.ADMIN, None, now=now)
        admin_token = accounts.create_token(admin, "bench", now=now)[0]
        state = AppState(store, pack, work_calendar(warn=lambda *_: None))
        params = {"as_of": as_of.isoformat()}
        rows: dict[str, list[float]] = {"check": [], "api": []}
        counts = []
        with TestClient(api_app(state)) as client:
            for code in sample:
                headers = {"Authorization": f"Bearer {tokens[code]}"}
                rows["check"].append(
                    province.elapsed_ms(partial(run_check, store, pack, as_of=as_of, org=code))
                )
                started = time.perf_counter()
                reply = client.get("/api/v1/findings", params=params, headers=headers)
                rows["api"].append((time.perf_counter() - started) * 1000)
                assert reply.status_code == 200, reply.text
                counts.append(len(reply.json()))
            whole_check = province.elapsed_ms(lambda: run_check(store, pack, as_of=as_of))
            headers = {"Authorization": f"Bearer {admin_token}"}
            started = time.perf_counter()
            reply = client.get("/api/v1/findings", params=params, headers=headers)
            whole_api = (time.perf_counter() - started) * 1000
            assert reply.status_code == 200, reply.text[:500]
            whole_count = len(reply.json())
            size = len(reply.content)
        dialect = store.dialect
    check, api = statistics.median(rows["check"]), statistics.median(rows["api"])
    print(f"## API latency, {args.branches:,} branches, {dialect}\n")
    print("| request | findings | run_check ms | API ms | ratio |")
    print("|---|---:|---:|---:|---:|")
    print(
        f"| one branch (secretary, median of {len(sample)}) | "
        f"{statistics.median(counts):.0f} | {check:.1f} | {api:.1f} | {api / check:.2f}x |"
    )
    print(
        f"| the province (admin, every finding; {size / 1e6:.1f} MB of JSON) | "
        f"{whole_count:,} | {whole_check:.0f} | {whole_api:.0f} | {whole_api / whole_check:.2f}x |"
    )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
