"""`orglife exemptions add|list|revoke`: periods an inspector excused (免于考核).

An exempt period's finding has status ``exempt`` and its reason is the exemption's; revoking
restores the judgement from the records. Every change goes into the audit trail.

Registered on the `orglife` group by :mod:`monitor.cli.root`.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
from collections.abc import Sequence
from pathlib import Path

import click
from rich.markup import escape

from monitor.cli import common
from monitor.core.errors import OrglifeError
from monitor.text import cli as msg


def default_actor() -> str:
    """Who a change is recorded as when ``--by`` is not given: ``cli:<os user>``."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"cli:{user}"


_by_option = click.option(
    "--by", "by", default=None, help="Who grants or revokes (default: cli:<os user>)."
)


@click.group("exemptions")
def exemptions() -> None:
    """Exemptions (免于考核): add, list, revoke."""


@exemptions.command("add")
@click.option("--org", "org", required=True, help="The org code.")
@click.option("--rule", "rule_id", required=True, help="The rule id (see `orglife rules check`).")
@click.option("--period", "period", required=True, help="The period label: 2025, 2025-Q4, …")
@click.option("--reason", "reason", required=True, help="Why the period is excused.")
@click.option("--member", "member", default="", help="A leading cadre's member id (cadre rules).")
@_by_option
@common.rules_option
@click.pass_obj
@common.handles_errors
def add(
    obj: common.Context,
    org: str,
    rule_id: str,
    period: str,
    reason: str,
    member: str,
    by: str | None,
    rule_paths: Sequence[Path],
) -> None:
    """Excuse one period of one rule for an org; prints the new exemption's id."""
    from monitor.core.rules import load_pack
    from monitor.store.exemptions import add_exemption

    pack = load_pack(rule_paths)
    try:
        rule = pack.rule(rule_id.strip())
    except KeyError:
        raise OrglifeError(
            msg.unknown_rule(rule=rule_id, known=[r.id for r in pack.rules])
        ) from None
    new_id = add_exemption(
        obj.store,
        org=org.strip(),
        rule=rule,
        period=period.strip(),
        reason=reason,
        by=by if by is not None else default_actor(),
        now=dt.datetime.now(dt.UTC),
        member=member.strip(),
    )
    common.log.info("exemption_added", id=new_id, org=org, rule=rule.id, period=period)
    click.echo(msg.exemption_added(exemption_id=new_id))


@exemptions.command("list")
@click.option("--org", "org", help="Only this organisation and everything below it.")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.pass_obj
@common.handles_errors
def list_(obj: common.Context, org: str | None, fmt: str) -> None:
    """Every exemption (active and revoked), oldest first."""
    from rich.table import Table

    from monitor.store.exemptions import exemptions as list_exemptions

    codes = obj.store.subtree(org.strip()) if org is not None else None
    found = list_exemptions(obj.store, codes)
    if fmt == "json":
        click.echo(json.dumps([e.as_json() for e in found], ensure_ascii=False, indent=2))
        return
    if not found:
        common.out.print(msg.no_exemptions(), highlight=False)
        return
    table = Table(*msg.EXEMPTION_COLUMNS)
    for e in found:
        table.add_row(
            str(e.id),
            escape(e.org + (f"/{e.member}" if e.member else "")),
            escape(e.rule),
            escape(e.period),
            escape(e.reason),
            escape(e.granted_by),
            e.granted_at.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%d %H:%M"),
            msg.EXEMPTION_ACTIVE if e.active else msg.EXEMPTION_REVOKED,
        )
    common.out.print(table)


@exemptions.command("revoke")
@click.argument("exemption_id", type=int)
@click.option("--reason", "reason", required=True, help="Why the exemption is revoked.")
@_by_option
@click.pass_obj
@common.handles_errors
def revoke(obj: common.Context, exemption_id: int, reason: str, by: str | None) -> None:
    """Revoke an exemption: the period is judged from the records again."""
    from monitor.store.exemptions import revoke_exemption

    done = revoke_exemption(
        obj.store,
        exemption_id,
        reason=reason,
        by=by if by is not None else default_actor(),
        now=dt.datetime.now(dt.UTC),
    )
    common.log.info("exemption_revoked", id=exemption_id)
    common.out.print(
        msg.exemption_revoked(
            exemption_id=done.id, org=done.org, rule=done.rule, period=done.period
        ),
        highlight=False,
    )
