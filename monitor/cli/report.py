"""`orglife report`: the monthly check summary (月度检查通报) of an org's subtree.

Registered on the `orglife` group by :mod:`monitor.cli.root`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from monitor.cli import common
from monitor.reporting.summary import DEFAULT_LATE_DAYS, DEFAULT_TREND_MONTHS
from monitor.text import cli as msg

FORMATS = ("json", "md", "html", "xlsx", "docx")
BINARY = ("xlsx", "docx")  # written to a file only


@click.command("report")
@click.option("--month", required=True, help="The month reported (YYYY-MM).")
@click.option(
    "--org",
    "org",
    help="Report this org and everything below it (default: the register's only top-level org).",
)
@click.option(
    "--as-of",
    "as_of",
    help="Judge as at the end of this day (YYYY-MM-DD; default: today, Beijing).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="md",
    show_default=True,
    help="json: every finding of the month and the figures; md: one Telegram message; "
    "html: a printable page; xlsx: a workbook; docx: a Word 通报 (xlsx and docx need -o).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of stdout (required for xlsx and docx).",
)
@click.option("--url", help="Link to the full report, shown at the end of the md message.")
@click.option(
    "--late-days",
    type=click.IntRange(min=0),
    default=DEFAULT_LATE_DAYS,
    show_default=True,
    help="A record entered more than this many days after its meeting (and after the period's "
    "grace) is a late entry (后补记录).",
)
@click.option(
    "--trend",
    "trend",
    type=click.IntRange(min=1, max=24),
    default=DEFAULT_TREND_MONTHS,
    show_default=True,
    help="Months in the trend, the reported one included.",
)
@common.rules_option
@click.pass_obj
@common.handles_errors
def report(
    obj: common.Context,
    month: str,
    org: str | None,
    as_of: str | None,
    fmt: str,
    output: Path | None,
    url: str | None,
    late_days: int,
    trend: int,
    rule_paths: Sequence[Path],
) -> None:
    """Monthly check summary (月度检查通报) of every finding whose period ends in --month.

    Required = held + missed (open and exempt are not counted); rates per branch (its party
    groups included; leading cadres count in the totals only), a ranking, the bottom tenth
    (ceil(10%)) as weak-and-lax candidates, late-entered records, the problem ledger's figures
    and the trend of the last months. json, md and html go to stdout unless -o is given.
    """
    from monitor.core.rules import load_pack
    from monitor.reporting import render_docx, render_html, render_json, render_md, render_xlsx
    from monitor.reporting.build import build_summary
    from monitor.reporting.summary import parse_month

    if fmt in BINARY and output is None:
        raise click.UsageError(msg.needs_output(fmt=fmt))
    period = parse_month(month)
    day = common.parse_date(as_of, "--as-of") or common.today_in_shanghai()
    pack = load_pack(rule_paths)
    summary = build_summary(
        obj.store,
        pack,
        org=org.strip() if org else None,
        month=period,
        as_of=day,
        late_days=late_days,
        trend=trend,
    )
    if fmt in BINARY:
        assert output is not None
        output.write_bytes(render_xlsx(summary) if fmt == "xlsx" else render_docx(summary))
    else:
        if fmt == "json":
            text = render_json(summary) + "\n"
        elif fmt == "md":
            text = render_md(summary, url) + "\n"
        else:
            text = render_html(summary, url)
        if output is None:
            click.echo(text, nl=False)
            return
        output.write_text(text, encoding="utf-8")
    common.out.print(
        msg.report_written(
            org_name=summary.org_name, month=period.label_zh, fmt=fmt, path=str(output)
        ),
        highlight=False,
    )
