"""Schemathesis against ``/api/openapi.json``: generated requests (bounded) as an admin never
get a 5xx, and every answer matches the schema the document declares for it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from monitor.accounts.model import Role
from monitor.accounts.store import AccountStore
from monitor.core.rules import load_pack
from monitor.demo import SNAPSHOT_DAY, demo_files
from monitor.registers.readers import read_meetings, read_members, read_orgs
from monitor.store import Store
from tests.test_api import NOW, PASSWORD, Clock, build_app

HEADERS: dict[str, str] = {}


@pytest.fixture
def api_schema(tmp_path: Path) -> Iterator[Any]:
    pack = load_pack()
    with Store.open(f"sqlite:///{tmp_path / 'schema.db'}") as store:
        files = demo_files()
        store.import_orgs(read_orgs(files["orgs"]))
        store.import_members(read_members(files["members"]))
        store.import_meetings(
            read_meetings(files["meetings"], today=SNAPSHOT_DAY, historical=True), pack.catalog
        )
        accounts = AccountStore(store)
        accounts.add_user("admin", PASSWORD, Role.ADMIN, None, now=NOW)
        value, _ = accounts.create_token("admin", "schemathesis", now=NOW)
        HEADERS["Authorization"] = f"Bearer {value}"
        app = build_app(store, pack, Clock())
        yield schemathesis.openapi.from_asgi("/api/openapi.json", app)


def test_generated_requests_get_no_5xx_and_answers_match_the_schema(api_schema: Any) -> None:
    # Each operation's strategy driven by Hypothesis directly: schemathesis's pytest plugin
    # (``from_fixture``) does not run under pytest 9.
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert operations
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=15,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def check(case: Any) -> None:
            case.call_and_validate(
                headers=HEADERS, checks=[not_a_server_error, response_schema_conformance]
            )

        check()
