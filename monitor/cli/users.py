"""`orglife users …` and `orglife tokens …`: accounts and API tokens on the command line.

Registered on the `orglife` group by :mod:`monitor.cli.root`. Passwords are read from a prompt
(twice) or, with ``--password-stdin``, from the first line of standard input; they are never
echoed, logged or passed as an argument (which `ps` would show).
"""

from __future__ import annotations

import datetime as dt
import json
import sys

import click

from monitor.accounts.model import Role
from monitor.cli import common
from monitor.cli.meetings import default_actor
from monitor.core.errors import OrglifeError


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        password = line.removesuffix("\n").removesuffix("\r")
        if not password:
            raise OrglifeError("标准输入中没有密码：请在第一行输入密码。")
        return password
    value: str = click.prompt("密码", hide_input=True, confirmation_prompt="再次输入密码", err=True)
    return value


_stdin_option = click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of stdin."
)


@click.group("users")
def users() -> None:
    """Accounts: who may sign in, with which role, over which part of the org tree."""


@users.command("add")
@click.argument("username")
@click.option(
    "--role",
    type=click.Choice([r.value for r in Role]),
    required=True,
    help="admin: everything; inspector: a subtree, ledger and exemptions; secretary: a branch "
    "and its groups, its records; viewer: a subtree, read only.",
)
@click.option("--org", "org", help="The org the account works in (not for admin).")
@_stdin_option
@click.pass_obj
@common.handles_errors
def users_add(
    obj: common.Context, username: str, role: str, org: str | None, password_stdin: bool
) -> None:
    """Add an account."""
    from monitor.accounts.store import AccountStore

    chosen = Role(role)
    if chosen is not Role.ADMIN and not org:
        raise OrglifeError(f"角色“{chosen.label}”（{chosen.value}）需要用 --org 指定所属组织。")
    if chosen is Role.ADMIN and org:
        raise OrglifeError("系统管理员（admin）不属于某个组织，请去掉 --org。")
    password = _password(password_stdin)
    user = AccountStore(obj.store).add_user(
        username, password, chosen, org.strip() if org else None, now=_now(), actor=default_actor()
    )
    where = "全部组织" if user.org is None else f"{obj.store.org(user.org).name}（{user.org}）"
    common.out.print(
        f"已添加用户 {user.username}：{user.role.label}（{user.role.value}），范围：{where}",
        highlight=False,
        markup=False,
    )


@users.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_obj
@common.handles_errors
def users_list(obj: common.Context, fmt: str) -> None:
    """One line per account: username, role, org, and `disabled`."""
    from monitor.accounts.store import AccountStore

    found = AccountStore(obj.store).users()
    if fmt == "json":
        listed = [
            {
                "username": u.username,
                "role": u.role.value,
                "org": u.org,
                "disabled": u.disabled,
                "created": u.created.isoformat() if u.created else None,
            }
            for u in found
        ]
        click.echo(json.dumps(listed, ensure_ascii=False, indent=2))
        return
    for u in found:
        line = f"{u.username}\t{u.role.value}\t{u.org or ''}"
        click.echo(line + ("\tdisabled" if u.disabled else ""))
    if not found:
        common.err.print("还没有用户：用 orglife users add 添加第一个管理员。", highlight=False)


@users.command("disable")
@click.argument("username")
@click.pass_obj
@common.handles_errors
def users_disable(obj: common.Context, username: str) -> None:
    """Disable an account: it can no longer sign in, its sessions end, its tokens stop."""
    from monitor.accounts.store import AccountStore

    user = AccountStore(obj.store).disable(username, now=_now(), actor=default_actor())
    common.out.print(f"已停用用户 {user.username}。", highlight=False, markup=False)


@users.command("passwd")
@click.argument("username")
@_stdin_option
@click.pass_obj
@common.handles_errors
def users_passwd(obj: common.Context, username: str, password_stdin: bool) -> None:
    """Set a new password (the account's browser sessions end)."""
    from monitor.accounts.store import AccountStore

    store = AccountStore(obj.store)
    store.user(username)  # fail before asking for a password
    user = store.set_password(
        username, _password(password_stdin), now=_now(), actor=default_actor()
    )
    common.out.print(f"已为用户 {user.username} 设置新密码。", highlight=False, markup=False)


@click.group("tokens")
def tokens() -> None:
    """API tokens for programs: create (shown once), list, revoke."""


@tokens.command("create")
@click.option("--user", "username", required=True, help="The account the token acts as.")
@click.option("--name", "name", help="A label, e.g. the program that uses it.")
@click.pass_obj
@common.handles_errors
def tokens_create(obj: common.Context, username: str, name: str | None) -> None:
    """Create a token; it is printed once, alone on the last line of stdout."""
    from monitor.accounts.store import AccountStore

    value, token = AccountStore(obj.store).create_token(
        username, name, now=_now(), actor=default_actor()
    )
    common.err.print(
        f"已为用户 {token.user} 创建令牌（编号 {token.id}，“{token.name}”）。"
        "令牌只显示这一次，请妥善保存：",
        highlight=False,
        markup=False,
    )
    click.echo(value)


@tokens.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_obj
@common.handles_errors
def tokens_list(obj: common.Context, fmt: str) -> None:
    """One line per token: id, user, name, created, last used, revoked (never the value)."""
    from monitor.accounts.store import AccountStore

    found = AccountStore(obj.store).tokens()
    if fmt == "json":
        listed = [
            {
                "id": t.id,
                "user": t.user,
                "name": t.name,
                "created": t.created.isoformat(),
                "last_used": t.last_used.isoformat() if t.last_used else None,
                "revoked": t.revoked.isoformat() if t.revoked else None,
            }
            for t in found
        ]
        click.echo(json.dumps(listed, ensure_ascii=False, indent=2))
        return
    for t in found:
        used = t.last_used.isoformat(timespec="seconds") if t.last_used else "-"
        state = f"revoked {t.revoked.isoformat(timespec='seconds')}" if t.revoked else "active"
        click.echo(
            f"{t.id}\t{t.user}\t{t.name}\t{t.created.isoformat(timespec='seconds')}\t{used}\t{state}"
        )
    if not found:
        common.err.print(
            "还没有令牌：用 orglife tokens create --user 用户名 创建。", highlight=False
        )


@tokens.command("revoke")
@click.argument("token_id", metavar="ID", type=int)
@click.pass_obj
@common.handles_errors
def tokens_revoke(obj: common.Context, token_id: int) -> None:
    """Revoke a token: programs using it get 401 from then on."""
    from monitor.accounts.store import AccountStore

    token = AccountStore(obj.store).revoke(token_id, now=_now(), actor=default_actor())
    common.out.print(
        f"已吊销令牌 {token.id}（{token.user}，“{token.name}”）。", highlight=False, markup=False
    )
