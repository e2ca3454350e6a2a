"""`orglife check`: judge every required period and print the matrix, the misses, or JSON."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING

import click

from monitor.cli import common
from monitor.core.domain import Finding, Status
from monitor.text import cli as msg

if TYPE_CHECKING:
    from monitor.check import Check
    from monitor.core.explain import Explainer
    from monitor.core.rules import RulePack

#: Above this many matrix rows (subject × rule) the table prints a summary per rule instead:
#: a province's 700,000 findings are no table to read, and printing them takes minutes.
MATRIX_ROWS = 200


@click.command()
@click.option(
    "--as-of", "as_of", required=True, help="Judge as at the end of this day (YYYY-MM-DD)."
)
@click.option("--since", help="Report periods starting on or after this day (default: 1 January).")
@click.option("--org", "org", help="Only this organisation and everything below it.")
@common.rules_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help=(
        "table: the matrix (one row per subject and rule; above "
        f"{MATRIX_ROWS} such rows, a summary per rule instead) and the misses; json: every "
        "finding."
    ),
)
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice([s.value for s in Status]),
    help="Only findings with this status (repeatable).",
)
@click.pass_obj
@common.handles_errors
def check(
    obj: common.Context,
    as_of: str,
    since: str | None,
    org: str | None,
    rule_paths: Sequence[Path],
    fmt: str,
    statuses: Sequence[str],
) -> None:
    """Judge every required period starting between --since and --as-of."""
    from monitor.check import run_check, update_ledger
    from monitor.core.explain import Explainer
    from monitor.core.rules import load_pack

    as_of_day = common.parse_date(as_of, "--as-of")
    assert as_of_day is not None
    since_day = common.parse_date(since, "--since")
    if since_day is not None and since_day > as_of_day:
        raise click.BadParameter(f"{since} 晚于 --as-of {as_of}", param_hint="--since")
    pack = load_pack(rule_paths)
    result = run_check(
        obj.store, pack, as_of=as_of_day, since=since_day, org=org, with_records=True
    )
    # The ledger stands on the day judged: its final misses open items (once), and the
    # sweep moves items a late record rectified, or whose deadline passed.
    change = update_ledger(obj.store, pack, result, today=as_of_day, now=dt.datetime.now(dt.UTC))
    common.log.info("ledger", opened=change.opened, late=change.late, overdue=len(change.overdue))
    if not result.registers.orgs:
        common.err.print(msg.no_orgs(db=common.safe_url(obj.db)), highlight=False)
    explain = Explainer(pack, result.registers.orgs, as_of_day)
    if fmt == "json":
        chosen = (f for f in result.findings if not statuses or f.status.value in statuses)
        for chunk in json_array(explain.json_text(f) for f in chosen):
            click.echo(chunk, nl=False)
        return
    findings = [f for f in result.findings if not statuses or f.status.value in statuses]
    print_table(result, findings, pack, explain)


#: Findings written at a time: one write per batch, not per finding.
JSON_BATCH = 1000


def json_array(elements: Iterable[str]) -> Iterator[str]:
    """A JSON array of already encoded elements, one a line, in pieces: never held whole."""
    elements = iter(elements)
    opening = "[\n"
    while batch := list(islice(elements, JSON_BATCH)):
        yield opening + ",\n".join(batch)
        opening = ",\n"
    yield "\n]\n" if opening != "[\n" else "[]\n"


STATUS_MARK = {
    Status.HELD: "[green]✓[/]",
    Status.MISSED: "[bold red]✗[/]",
    Status.OPEN: "[yellow]○[/]",
    Status.EXEMPT: "[dim]－[/]",
    Status.NOT_APPLICABLE: "[dim]·[/]",
}


def short_label(label: str) -> str:
    """The period without its year (the table title carries it): 09, Q3, B5, H2, 全年."""
    _, _, rest = label.partition("-")
    return rest or msg.WHOLE_YEAR


def print_table(
    result: Check, findings: Sequence[Finding], pack: RulePack, explain: Explainer
) -> None:
    """A compliance matrix (one row per subject and rule; a summary per rule when that is more
    than :data:`MATRIX_ROWS` rows) followed by the misses explained."""
    from rich.table import Table

    orgs = result.registers.orgs
    cadres = {m.id: m for m in result.registers.cadres}
    matrix_rows = len({(f.org, f.member, f.rule) for f in findings})
    large = matrix_rows > MATRIX_ROWS
    if large:
        print_rule_summary(result, findings, pack)
        common.out.print(msg.matrix_too_large(rows=matrix_rows, limit=MATRIX_ROWS), highlight=False)
    else:
        print_matrix(result, findings, pack)
    missed = [f for f in findings if f.status is Status.MISSED]
    if missed:
        rows = [
            (
                msg.with_code(org.name if (org := orgs.get(f.org)) else f.org, f.org),
                msg.with_code(member.name, member.id)
                if f.member and (member := cadres.get(f.member))
                else msg.THE_ORG_ITSELF,
                pack.rule(f.rule).name,
                f.period.label_zh,
                explain.reason(f),
            )
            for f in missed
        ]
        if large:
            for chunk in plain_table(msg.MISSED_TITLE, msg.MISSED_COLUMNS, rows):
                click.echo(chunk, nl=False)
        else:
            detail = Table(title=msg.MISSED_TITLE)
            for header in msg.MISSED_COLUMNS:
                detail.add_column(header, overflow="fold")
            for row in rows:
                detail.add_row(*row)
            common.out.print(detail)
    totals = result.totals()
    common.out.print(
        msg.check_totals(
            findings=len(findings),
            held=totals[Status.HELD],
            missed=totals[Status.MISSED],
            in_progress=totals[Status.OPEN],
            exempt=totals[Status.EXEMPT],
        ),
        highlight=False,
    )


def print_matrix(result: Check, findings: Sequence[Finding], pack: RulePack) -> None:
    """One row per subject and rule: each period's mark and held/due."""
    from rich.table import Table

    from monitor.core.explain import STATUS_ZH

    rows: dict[tuple[str, str, str], list[Finding]] = {}
    for f in findings:
        rows.setdefault((f.org, f.member or "", f.rule), []).append(f)
    orgs = result.registers.orgs
    cadres = {m.id: m for m in result.registers.cadres}
    legend = "  ".join(f"{STATUS_MARK[s]}{STATUS_ZH[s]}" for s in list(Status)[:4])
    table = Table(
        title=msg.check_title(since=result.since, as_of=result.as_of),
        caption=legend,
    )
    # The last column (held/due) is a number.
    justified = ("left",) * (len(msg.CHECK_COLUMNS) - 1) + ("right",)
    for header, justify in zip(msg.CHECK_COLUMNS, justified, strict=True):
        table.add_column(header, justify=justify, overflow="fold")  # type: ignore[arg-type]
    previous_org = None
    for (code, member_id, rule_id), items in rows.items():
        org = orgs.get(code)
        member = cadres.get(member_id)
        held = sum(f.status is Status.HELD for f in items)
        due = held + sum(f.status is Status.MISSED for f in items)
        table.add_row(
            "" if code == previous_org else msg.with_code(org.name if org else code, code),
            msg.with_code(member.name, member.id) if member else msg.THE_ORG_ITSELF,
            pack.rule(rule_id).name,
            " ".join(f"{short_label(f.period.label)}{STATUS_MARK[f.status]}" for f in items),
            f"{held}/{due}" if due else "—",
            end_section=False,
        )
        previous_org = code
    common.out.print(table)


def print_rule_summary(result: Check, findings: Sequence[Finding], pack: RulePack) -> None:
    """One row per rule: its findings counted by status, and the rate held of due."""
    from rich.table import Table

    by_rule_status: Counter[tuple[str, Status]] = Counter((f.rule, f.status) for f in findings)
    counts: dict[str, Counter[Status]] = {}
    for (rule_id, status), n in by_rule_status.items():
        counts.setdefault(rule_id, Counter())[status] = n
    table = Table(title=msg.check_title(since=result.since, as_of=result.as_of))
    table.add_column(msg.SUMMARY_COLUMNS[0], overflow="fold")
    for header in msg.SUMMARY_COLUMNS[1:]:
        table.add_column(header, justify="right")
    for rule in pack.rules:
        tally = counts.get(rule.id)
        if tally is None:
            continue
        held, missed = tally[Status.HELD], tally[Status.MISSED]
        table.add_row(
            rule.name,
            str(held),
            str(missed),
            str(tally[Status.OPEN]),
            str(tally[Status.EXEMPT]),
            msg.rate(held=held, due=held + missed),
        )
    common.out.print(table)


def plain_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> Iterator[str]:
    """A table drawn like rich's default, in pieces, for thousands of rows.

    rich lays out every cell (measure, wrap, pad: ~5 ms a row of five); this measures each
    distinct text once and pads it. Cells are not folded: a row wider than the terminal wraps
    there. Text is printed as it is (no console markup).
    """
    from rich.cells import cell_len

    widths = [cell_len(h) for h in headers]
    measured: dict[str, int] = {}
    for row in rows:
        for i, cell in enumerate(row):
            width = measured.get(cell)
            if width is None:
                width = measured[cell] = cell_len(cell)
            if width > widths[i]:
                widths[i] = width

    def rule(left: str, fill: str, middle: str, right: str) -> str:
        return left + middle.join(fill * (w + 2) for w in widths) + right + "\n"

    def line(cells: Sequence[str], edge: str, sizes: Mapping[str, int]) -> str:
        padded = (c + " " * (w - sizes[c]) for c, w in zip(cells, widths, strict=True))
        return f"{edge} " + f" {edge} ".join(padded) + f" {edge}\n"

    total = sum(widths) + 3 * len(widths) + 1
    heads = {h: cell_len(h) for h in headers}
    yield " " * max(0, (total - cell_len(title)) // 2) + title + "\n"
    yield rule("┏", "━", "┳", "┓") + line(headers, "┃", heads) + rule("┡", "━", "╇", "┩")
    for start in range(0, len(rows), TABLE_BATCH):
        yield "".join(line(row, "│", measured) for row in rows[start : start + TABLE_BATCH])
    yield rule("└", "─", "┴", "┘")


#: Rows of a plain table written at a time.
TABLE_BATCH = 1000
