"""`orglife import orgs|members|meetings`: registers from CSV or XLSX, one transaction a file."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from monitor.cli import common, meetings
from monitor.text import cli as msg

if TYPE_CHECKING:
    from monitor.store import ImportResult

SHEET = click.option(
    "--sheet",
    help="The workbook's sheet to read (default: the first sheet with the required headers).",
)


@click.group("import")
def import_() -> None:
    """Import a register (CSV in UTF-8 or GB18030, .xlsx, .xls or .ods); one bad row fails all."""


def report_import(result: ImportResult, path: Path) -> None:
    common.log.info(
        "imported",
        register=result.kind,
        file=str(path),
        rows=result.rows,
        inserted=result.inserted,
        updated=result.updated,
        unchanged=result.unchanged,
        possible_duplicates=len(result.possible_duplicates),
    )
    common.out.print(
        msg.imported(
            kind=result.kind,
            rows=result.rows,
            inserted=result.inserted,
            updated=result.updated,
            unchanged=result.unchanged,
            path=str(path),
        ),
        highlight=False,
    )
    shown = result.possible_duplicates[: msg.POSSIBLE_DUPLICATES_SHOWN]
    for line, record_id in shown:
        common.out.print(msg.possible_duplicate(line=line, record_id=record_id), highlight=False)
    more = len(result.possible_duplicates) - len(shown)
    if more:
        common.out.print(msg.more_possible_duplicates(more=more), highlight=False)


def now_utc() -> dt.datetime:
    """The moment an import or a change happens (the shell reads the clock; the store never)."""
    return dt.datetime.now(dt.UTC)


def report_skipped(titles: Sequence[str]) -> None:
    """Name the title rows above the header that the import skipped."""
    if titles:
        common.out.print(msg.title_rows_skipped(titles=titles), highlight=False)


@import_.command("orgs")
@click.argument("file", type=click.Path(path_type=Path))
@SHEET
@click.pass_obj
@common.handles_errors
def import_orgs(obj: common.Context, file: Path, sheet: str | None) -> None:
    """Import organisations (组织编码, 组织名称, 组织类型, 上级组织编码, …)."""
    from monitor.registers import readers

    parsed = readers.read_orgs(file, sheet=sheet, today=common.today_in_shanghai())
    result = obj.store.import_orgs(parsed, now=now_utc(), actor=meetings.default_actor())
    report_skipped(parsed.skipped)
    report_import(result, file)


@import_.command("members")
@click.argument("file", type=click.Path(path_type=Path))
@SHEET
@click.pass_obj
@common.handles_errors
def import_members(obj: common.Context, file: Path, sheet: str | None) -> None:
    """Import members (党员编号, 姓名, 所在组织编码, 职务, 党员类型, 领导干部, …)."""
    from monitor.registers import readers

    parsed = readers.read_members(file, sheet=sheet, today=common.today_in_shanghai())
    result = obj.store.import_members(parsed, now=now_utc(), actor=meetings.default_actor())
    report_skipped(parsed.skipped)
    report_import(result, file)


@import_.command("meetings")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--rules",
    "rule_paths",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Overlay whose extra meeting kinds the file may use (repeatable).",
)
@click.option(
    "--today",
    help="Entry date of new records, and the day no meeting may be after (default: today).",
)
@click.option(
    "--historical",
    is_flag=True,
    help="Migrating old registers: take each new record's entry date from 录入日期 "
    "(blank: its meeting date) instead of today.",
)
@SHEET
@click.pass_obj
@common.handles_errors
def import_meetings(
    obj: common.Context,
    file: Path,
    rule_paths: Sequence[Path],
    today: str | None,
    historical: bool,
    sheet: str | None,
) -> None:
    """Import meeting records (组织编码, 会议类型, 日期, 应到人数, 实到人数, …)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from monitor.core.rules import load_pack
    from monitor.registers import readers

    pack = load_pack(rule_paths)
    entry_day = common.parse_date(today, "--today") or common.today_in_shanghai()
    total = readers.count_rows(file)
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=common.err,
        transient=True,
        disable=not common.err.is_terminal,
    ) as progress:
        task = progress.add_task(msg.IMPORTING_MEETINGS, total=total)
        # Streamed: a province's file is validated and staged a chunk at a time.
        with readers.stream_meetings(
            file, today=entry_day, catalog=pack.catalog, historical=historical, sheet=sheet
        ) as stream:
            result = obj.store.import_meetings(
                stream,
                pack.catalog,
                progress=lambda n: progress.update(task, completed=n),
                rules=pack.rules,
                now=now_utc(),
                historical=historical,
                actor=meetings.default_actor(),
            )
    report_skipped(stream.skipped)
    report_import(result, file)
    if historical:
        common.out.print(msg.historical_import(inserted=result.inserted), highlight=False)
