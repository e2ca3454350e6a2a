"""Shared fixtures: real databases (a SQLite file, and PostgreSQL when it is there)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from sqlalchemy import create_engine, text

from monitor.core.rules import RulePack, load_pack
from monitor.store import Store
from tests.browser_support import browser, live_server, page, viewport  # noqa: F401

DATA = Path(__file__).parent / "data"
PG_URL = os.environ.get("ORGLIFE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _postgres_reachable() -> str | None:
    """None when PostgreSQL answers, else the reason it does not."""
    try:
        engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}".splitlines()[0]
    return None


_PG_PROBLEM: str | bool | None = False  # False: not probed yet


def postgres_url() -> str:
    """A PostgreSQL URL for one test: a fresh schema; skips (fails under CI) without a server."""
    global _PG_PROBLEM
    if _PG_PROBLEM is False:
        _PG_PROBLEM = _postgres_reachable()
    if _PG_PROBLEM:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required under CI=true but unreachable: {_PG_PROBLEM}")
        pytest.skip(f"PostgreSQL unreachable at {PG_URL}: {_PG_PROBLEM}")
    return PG_URL


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Drop the PostgreSQL run of tests marked ``sqlite_only``.

    The web pages are HTML over the same store and feature calls that the store, API and
    authorization tests run on both backends; judging every page twice doubled the suite's
    slowest part (a demo district per test) and caught nothing those tests do not.
    """
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_postgres = callspec is not None and callspec.params.get("db_url") == "postgresql"
        if on_postgres and item.get_closest_marker("sqlite_only") is not None:
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL on a real, empty database of each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'orglife.db'}"
    else:
        yield from _fresh_postgres_schema()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A URL on an empty PostgreSQL schema (for tests that only make sense there)."""
    yield from _fresh_postgres_schema()


def _fresh_postgres_schema() -> Iterator[str]:
    base = postgres_url()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with Store.open(db_url) as s:
        yield s


@pytest.fixture(scope="session")
def national() -> RulePack:
    return load_pack()


@pytest.fixture
def demo_store(store: Store, national: RulePack) -> Store:
    """The bundled demo district (25 orgs, 154 members, 322 records) on each backend."""
    from monitor.demo import SNAPSHOT_DAY, demo_files
    from monitor.registers.readers import read_meetings, read_members, read_orgs

    files = demo_files()
    store.import_orgs(read_orgs(files["orgs"]))
    store.import_members(read_members(files["members"]))
    store.import_meetings(
        read_meetings(files["meetings"], today=SNAPSHOT_DAY, historical=True), national.catalog
    )
    return store


@pytest.fixture(autouse=True)
def structlog_defaults() -> Iterator[None]:
    """Every test starts from structlog's defaults: a CLI invocation configures it globally
    (level, stream), which would otherwise leak into whatever test runs next."""
    structlog.reset_defaults()
    yield
    structlog.reset_defaults()


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Uploads of every test go under its own temporary directory (``ORGLIFE_DATA_DIR``), never
    into the working directory (where an app on PostgreSQL would otherwise put them)."""
    path = tmp_path / "data"
    monkeypatch.setenv("ORGLIFE_DATA_DIR", str(path))
    return path
