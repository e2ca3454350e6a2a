"""Accounts: users with roles over the org tree, their scopes, sign-in and its throttling, API
tokens and sessions; `orglife users …` and `orglife tokens …` on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from monitor.accounts.model import Action, Role, may
from monitor.accounts.store import (
    MAX_FAILURES_PER_ADDRESS,
    MAX_FAILURES_PER_USER,
    THROTTLE_WINDOW,
    AccountError,
    AccountStore,
    SignInRefused,
    SignInThrottled,
)
from monitor.cli import main
from monitor.store import Store

NOW = dt.datetime(2026, 12, 2, 2, tzinfo=dt.UTC)
PASSWORD = "correct horse 党建"


def run(*args: str, stdin: str | None = None) -> Any:
    return CliRunner().invoke(main, list(args), input=stdin)


@pytest.fixture
def accounts(demo_store: Store) -> AccountStore:
    return AccountStore(demo_store)


def test_roles_allow_exactly_what_the_issue_lists() -> None:
    assert all(may(Role.ADMIN, a) for a in Action)
    assert {a for a in Action if may(Role.VIEWER, a)} == {Action.READ, Action.REPORTS}
    assert {a for a in Action if may(Role.SECRETARY, a)} == {
        Action.READ,
        Action.EDIT_MEETINGS,
        Action.RECTIFY,
    }
    inspector = {a for a in Action if may(Role.INSPECTOR, a)}
    assert {Action.MANAGE_LEDGER, Action.EXEMPTIONS, Action.REPORTS} <= inspector
    assert Action.ADMIN not in inspector


def test_scopes_follow_the_org_tree(accounts: AccountStore, demo_store: Store) -> None:
    admin = accounts.add_user("admin", PASSWORD, Role.ADMIN, None, now=NOW)
    street = accounts.add_user("street", PASSWORD, Role.INSPECTOR, "JD01", now=NOW)
    secretary = accounts.add_user("sec", PASSWORD, Role.SECRETARY, "JD01-06-01", now=NOW)
    viewer = accounts.add_user("view", PASSWORD, Role.VIEWER, "JD01-06", now=NOW)
    assert accounts.scope(admin).everything
    assert "anything" in accounts.scope(admin)
    assert accounts.scope(street).orgs == frozenset(demo_store.subtree("JD01"))
    mine = accounts.scope(secretary)
    assert "JD01-06-01" in mine
    assert {c for c in mine.orgs if c != "JD01-06-01"} == {
        o.code for o in demo_store.orgs() if o.parent == "JD01-06-01"
    }
    assert mine.orgs
    assert all(c.startswith("JD01-06-01") for c in mine.orgs)
    assert "JD01-06-02" not in mine
    assert "JD01" not in mine
    assert accounts.scope(viewer).orgs == frozenset(demo_store.subtree("JD01-06"))


def test_adding_users_refuses_what_cannot_work_and_changes_nothing(
    accounts: AccountStore,
) -> None:
    accounts.add_user("wang", PASSWORD, Role.SECRETARY, "JD01-01", now=NOW)
    with pytest.raises(AccountError, match="已存在"):
        accounts.add_user("wang", PASSWORD, Role.VIEWER, "JD01", now=NOW)
    with pytest.raises(AccountError, match="需要用 --org"):
        accounts.add_user("li", PASSWORD, Role.INSPECTOR, None, now=NOW)
    with pytest.raises(AccountError, match="至少8个字符"):
        accounts.add_user("li", "short", Role.VIEWER, "JD01", now=NOW)
    with pytest.raises(AccountError, match="不含空格"):
        accounts.add_user("li si", PASSWORD, Role.VIEWER, "JD01", now=NOW)
    with pytest.raises(Exception, match="NOPE"):
        accounts.add_user("li", PASSWORD, Role.VIEWER, "NOPE", now=NOW)
    assert [u.username for u in accounts.users()] == ["wang"]


def test_passwords_are_argon2_hashes_and_never_stored_in_clear(
    accounts: AccountStore, demo_store: Store, db_url: str
) -> None:
    accounts.add_user("wang", PASSWORD, Role.VIEWER, "JD01", now=NOW)
    with demo_store.engine.connect() as conn:
        stored = conn.execute(text("SELECT password_hash FROM app_user")).scalar_one()
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    if db_url.startswith("sqlite:///"):
        assert PASSWORD.encode() not in Path(db_url.removeprefix("sqlite:///")).read_bytes()


def test_sign_in_and_its_throttle_per_user_and_per_address(accounts: AccountStore) -> None:
    accounts.add_user("wang", PASSWORD, Role.VIEWER, "JD01", now=NOW)
    assert accounts.authenticate("wang", PASSWORD, address="10.0.0.1", now=NOW).username == "wang"
    with pytest.raises(SignInRefused) as wrong:
        accounts.authenticate("wang", "wrong password", address="10.0.0.1", now=NOW)
    with pytest.raises(SignInRefused) as unknown:
        accounts.authenticate("nobody", PASSWORD, address="10.0.0.1", now=NOW)
    assert str(wrong.value) == str(unknown.value)  # no telling which usernames exist
    for _ in range(MAX_FAILURES_PER_USER - 1):
        with pytest.raises(SignInRefused):
            accounts.authenticate("wang", "guess", address="10.0.0.2", now=NOW)
    # Five failures for this username: even the right password waits, from any address.
    with pytest.raises(SignInThrottled) as throttled:
        accounts.authenticate("wang", PASSWORD, address="10.9.9.9", now=NOW)
    assert 0 < throttled.value.retry_after <= THROTTLE_WINDOW.total_seconds() + 1
    assert "分钟后再试" in str(throttled.value)
    later = NOW + THROTTLE_WINDOW + dt.timedelta(seconds=1)
    assert accounts.authenticate("wang", PASSWORD, address="10.9.9.9", now=later)
    # One address trying many usernames is throttled too.
    for n in range(MAX_FAILURES_PER_ADDRESS):
        with pytest.raises((SignInRefused, SignInThrottled)):
            accounts.authenticate(f"user{n}", "guess", address="10.6.6.6", now=later)
    with pytest.raises(SignInThrottled):
        accounts.authenticate("wang", PASSWORD, address="10.6.6.6", now=later)
    assert accounts.authenticate("wang", PASSWORD, address="10.0.0.3", now=later)


def test_a_disabled_user_cannot_sign_in_and_loses_sessions_and_tokens(
    accounts: AccountStore,
) -> None:
    user = accounts.add_user("wang", PASSWORD, Role.VIEWER, "JD01", now=NOW)
    cookie, session = accounts.start_session(user, now=NOW)
    value, _ = accounts.create_token("wang", "sync", now=NOW)
    assert accounts.session(cookie, now=NOW) == session
    assert accounts.bearer(value, now=NOW) == user
    accounts.disable("wang", now=NOW)
    assert accounts.session(cookie, now=NOW) is None
    assert accounts.bearer(value, now=NOW) is None
    with pytest.raises(SignInRefused):
        accounts.authenticate("wang", PASSWORD, address="10.0.0.1", now=NOW)


def test_sessions_expire_and_end(accounts: AccountStore) -> None:
    user = accounts.add_user("wang", PASSWORD, Role.VIEWER, "JD01", now=NOW)
    cookie, session = accounts.start_session(user, now=NOW)
    assert len(session.csrf) >= 24
    assert accounts.session(cookie, now=NOW + dt.timedelta(hours=11)) is not None
    assert accounts.session(cookie, now=NOW + dt.timedelta(hours=13)) is None
    assert accounts.session("forged", now=NOW) is None
    other, _ = accounts.start_session(user, now=NOW)
    accounts.end_session(other)
    assert accounts.session(other, now=NOW) is None
    accounts.set_password("wang", "another password")
    assert accounts.session(cookie, now=NOW) is None  # a new password ends every session


def test_changing_ones_own_password_checks_it_counts_failures_and_keeps_this_session(
    accounts: AccountStore, demo_store: Store
) -> None:
    user = accounts.add_user("wang", PASSWORD, Role.SECRETARY, "JD01-06-01", now=NOW)
    here, _ = accounts.start_session(user, now=NOW)
    elsewhere, _ = accounts.start_session(user, now=NOW)
    with pytest.raises(AccountError, match="太短"):
        accounts.change_password(user, PASSWORD, "short", address="10.0.0.9", now=NOW)
    for _ in range(MAX_FAILURES_PER_USER):
        with pytest.raises(SignInRefused):
            accounts.change_password(
                user, "wrong horse", "another password", address="10.0.0.9", now=NOW
            )
    with pytest.raises(SignInThrottled):  # the wrong guesses count as failed sign-ins
        accounts.change_password(user, PASSWORD, "another password", address="10.0.0.9", now=NOW)
    assert accounts.session(here, now=NOW) is not None
    assert accounts.session(elsewhere, now=NOW) is not None
    later = NOW + THROTTLE_WINDOW + dt.timedelta(seconds=1)
    accounts.change_password(
        user, PASSWORD, "another password", address="10.0.0.9", now=later, keep=here
    )
    assert accounts.session(here, now=later) is not None
    assert accounts.session(elsewhere, now=later) is None
    assert accounts.authenticate("wang", "another password", address="10.0.0.9", now=later)
    (event,) = [e for e in demo_store.events("user", "wang") if e.action == "password_set"]
    assert event.actor == "user:wang"


def test_tokens_are_shown_once_stored_as_digests_and_revocable(
    accounts: AccountStore, demo_store: Store
) -> None:
    user = accounts.add_user("sync", PASSWORD, Role.VIEWER, "JD01", now=NOW)
    value, token = accounts.create_token("sync", "省级平台", now=NOW)
    assert value.startswith("olt_")
    assert len(value) > 40
    with demo_store.engine.connect() as conn:
        stored = conn.execute(text("SELECT digest FROM api_token")).scalar_one()
    assert value not in stored
    assert token.last_used is None
    used = NOW + dt.timedelta(minutes=5)
    assert accounts.bearer(value, now=used) == user
    assert accounts.token(token.id).last_used == used
    assert accounts.bearer(value + "x", now=used) is None
    accounts.revoke(token.id, now=used)
    assert accounts.bearer(value, now=used) is None
    assert not accounts.token(token.id).active
    with pytest.raises(AccountError, match="没有编号为 999"):
        accounts.revoke(999, now=used)


def test_users_and_tokens_on_the_command_line(db_url: str, demo_store: Store) -> None:
    added = run("--db", db_url, "users", "add", "root", "--role", "admin", "--password-stdin",
                stdin=PASSWORD + "\n")  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "系统管理员" in added.output
    sec = run("--db", db_url, "users", "add", "wang", "--role", "secretary",
              "--org", "JD01-06-01", stdin=f"{PASSWORD}\n{PASSWORD}\n")  # fmt: skip
    assert sec.exit_code == 0, sec.output  # prompted twice, hidden
    assert PASSWORD not in sec.output
    missing_org = run("--db", db_url, "users", "add", "li", "--role", "viewer",
                      "--password-stdin", stdin=PASSWORD + "\n")  # fmt: skip
    assert missing_org.exit_code == 1
    assert "--org" in missing_org.output
    listed = run("--db", db_url, "users", "list", "--format", "json")
    assert listed.exit_code == 0, listed.output
    users = {u["username"]: u for u in json.loads(listed.stdout)}
    assert users["root"] == {**users["root"], "role": "admin", "org": None, "disabled": False}
    assert users["wang"]["org"] == "JD01-06-01"
    assert users["wang"]["role"] == "secretary"

    created = run("--db", db_url, "tokens", "create", "--user", "wang", "--name", "手机")
    assert created.exit_code == 0, created.output
    value = created.stdout.strip().splitlines()[-1]
    assert value.startswith("olt_")
    tokens = run("--db", db_url, "tokens", "list")
    assert tokens.exit_code == 0
    assert value not in tokens.output
    assert "wang" in tokens.output
    assert "active" in tokens.output
    token_id = tokens.stdout.split("\t")[0]
    assert AccountStore(demo_store).bearer(value, now=NOW) is not None
    revoked = run("--db", db_url, "tokens", "revoke", token_id)
    assert revoked.exit_code == 0, revoked.output
    assert AccountStore(demo_store).bearer(value, now=NOW) is None

    passwd = run("--db", db_url, "users", "passwd", "wang", "--password-stdin",
                 stdin="new password 2026\n")  # fmt: skip
    assert passwd.exit_code == 0, passwd.output
    store = AccountStore(demo_store)
    assert store.authenticate("wang", "new password 2026", address="t", now=NOW)
    disabled = run("--db", db_url, "users", "disable", "wang")
    assert disabled.exit_code == 0
    after = json.loads(run("--db", db_url, "users", "list", "--format", "json").stdout)
    assert {u["username"]: u["disabled"] for u in after} == {"root": False, "wang": True}
    nobody = run("--db", db_url, "users", "disable", "nobody")
    assert nobody.exit_code == 1
    assert "没有用户名为“nobody”的用户" in nobody.output


def test_the_command_line_records_who_changed_accounts_and_never_the_secret(
    db_url: str, demo_store: Store
) -> None:
    assert run("--db", db_url, "users", "add", "wang", "--role", "viewer", "--org", "JD01",
               "--password-stdin", stdin=PASSWORD + "\n").exit_code == 0  # fmt: skip
    created = run("--db", db_url, "tokens", "create", "--user", "wang")
    assert created.exit_code == 0, created.output
    value = created.stdout.strip().splitlines()[-1]
    with demo_store.engine.connect() as conn:
        events = conn.execute(text("SELECT actor, entity, action, changes FROM audit_event")).all()
    mine = [e for e in events if e.entity in ("user", "api_token")]
    assert mine
    assert all(e.actor.startswith("cli:") for e in mine)
    assert all(PASSWORD not in str(e.changes) and value not in str(e.changes) for e in mine)
