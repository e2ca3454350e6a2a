"""The `orglife` command line: a thin shell over the store, the rule packs and the evaluator."""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn, TypeVar
from zoneinfo import ZoneInfo

import click
import structlog
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from sqlalchemy.exc import OperationalError

from monitor import __version__
from monitor.check import Check, run_check, update_ledger
from monitor.core.domain import Finding, Status
from monitor.core.errors import OrglifeError
from monitor.core.explain import STATUS_ZH, finding_json, reason
from monitor.core.rules import RulePack, bundled_rules_dir, explain, load_pack
from monitor.registers import readers
from monitor.store import ImportResult, Store
from monitor.store.schema import DEFAULT_URL, normalise_url

DEMO_URL = "sqlite:///./orglife-demo.db"
SHANGHAI = ZoneInfo("Asia/Shanghai")

F = TypeVar("F", bound=Callable[..., Any])
log = structlog.get_logger("orglife")
out = Console(soft_wrap=True)
err = Console(stderr=True)

KIND_ZH = {"orgs": "组织", "members": "党员", "meetings": "会议记录"}


def _fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", highlight=False, markup=True, soft_wrap=True)
    sys.exit(code)


def today_in_shanghai() -> dt.date:
    """Today's date where the registers are kept (the shell reads the clock; the core never)."""
    return dt.datetime.now(SHANGHAI).date()


def _date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date; use YYYY-MM-DD", param_hint=option
        ) from None


class _Context:
    def __init__(self, db: str) -> None:
        self.db = db
        self._store: Store | None = None

    @property
    def store(self) -> Store:
        """The store, opened (and migrated) on first use, so --help needs no database."""
        if self._store is None:
            self._store = Store.open(self.db)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


# Annotated because the command modules import it while this module is still loading.
rules_option: Callable[[Callable[..., Any]], Callable[..., Any]] = click.option(
    "--rules",
    "rule_paths",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Overlay rule pack layered on the national baseline (repeatable, in order).",
)


def _handles_errors(func: F) -> F:
    """Report user errors as one clear line and a non-zero exit, not a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except OrglifeError as exc:
            _fail(str(exc))
        except OperationalError as exc:
            # The driver's first line says why (refused, unknown database, locked file); the
            # URL is shown without its password.
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            context = click.get_current_context(silent=True)
            obj = context.find_object(_Context) if context is not None else None
            url = _safe_url(obj.db) if obj is not None else "database"
            _fail(f"the database {url} cannot be used: {reason}")

    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--db",
    envvar="ORGLIFE_DATABASE_URL",
    default=DEFAULT_URL,
    show_default=True,
    help="SQLAlchemy database URL (env ORGLIFE_DATABASE_URL), e.g. postgresql://user@host/db.",
)
@click.option("-v", "--verbose", is_flag=True, help="Log what each step did (to stderr).")
@click.option(
    "--log-format",
    type=click.Choice(["console", "json"]),
    default="console",
    show_default=True,
    help="Log lines for people, or one JSON object per line for log collectors.",
)
@click.version_option(__version__, prog_name="orglife")
@click.pass_context
def main(ctx: click.Context, db: str, verbose: bool, log_format: str) -> None:
    """orglife: compliance monitor for Party organisational life (组织生活合规监测)."""
    global out, err
    # Built per invocation so the terminal width (COLUMNS) is read when the command runs.
    out = Console(soft_wrap=True)
    err = Console(stderr=True)
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.INFO if verbose else logging.WARNING
        ),
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"),
            renderer,
        ],
    )
    ctx.obj = _Context(db)
    ctx.call_on_close(ctx.obj.close)


# --- import ---------------------------------------------------------------------------


@main.group("import")
def import_() -> None:
    """Import a register (CSV in UTF-8 or GB18030, or XLSX); one bad row rejects the file."""


def _safe_url(url: str) -> str:
    """The database URL without its password, for messages and logs."""
    try:
        return normalise_url(url).render_as_string(hide_password=True)
    except OrglifeError:
        return "<invalid URL>"


def _report(result: ImportResult, path: Path) -> None:
    log.info(
        "imported",
        register=result.kind,
        file=str(path),
        rows=result.rows,
        inserted=result.inserted,
        updated=result.updated,
    )
    out.print(
        f"已导入{KIND_ZH[result.kind]} {result.rows} 条（新增 {result.inserted}，"
        f"更新 {result.updated}）：{path}",
        highlight=False,
    )


@import_.command("orgs")
@click.argument("file", type=click.Path(path_type=Path))
@click.pass_obj
@_handles_errors
def import_orgs(obj: _Context, file: Path) -> None:
    """Import organisations (组织编码, 组织名称, 组织类型, 上级组织编码, …)."""
    _report(obj.store.import_orgs(readers.read_orgs(file)), file)


@import_.command("members")
@click.argument("file", type=click.Path(path_type=Path))
@click.pass_obj
@_handles_errors
def import_members(obj: _Context, file: Path) -> None:
    """Import members (党员编号, 姓名, 所在组织编码, 职务, 党员类型, 领导干部, …)."""
    _report(obj.store.import_members(readers.read_members(file)), file)


@import_.command("meetings")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--rules",
    "rule_paths",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Overlay whose extra meeting kinds the file may use (repeatable).",
)
@click.option("--today", help="Entry date for rows without 录入日期 (default: today).")
@click.pass_obj
@_handles_errors
def import_meetings(
    obj: _Context, file: Path, rule_paths: Sequence[Path], today: str | None
) -> None:
    """Import meeting records (组织编码, 会议类型, 日期, 应到人数, 实到人数, …)."""
    pack = load_pack(rule_paths)
    entry_day = _date(today, "--today") or today_in_shanghai()
    total = readers.count_rows(file)
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as progress:
        task = progress.add_task("导入会议记录", total=total)
        # Streamed: a province's file is validated and staged a chunk at a time.
        with readers.stream_meetings(file, today=entry_day, catalog=pack.catalog) as stream:
            result = obj.store.import_meetings(
                stream, pack.catalog, progress=lambda n: progress.update(task, completed=n)
            )
    _report(result, file)


# --- check ----------------------------------------------------------------------------


@main.command()
@click.option(
    "--as-of", "as_of", required=True, help="Judge as at the end of this day (YYYY-MM-DD)."
)
@click.option("--since", help="Report periods starting on or after this day (default: 1 January).")
@click.option("--org", "org", help="Only this organisation and everything below it.")
@rules_option
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice([s.value for s in Status]),
    help="Only findings with this status (repeatable).",
)
@click.pass_obj
@_handles_errors
def check(
    obj: _Context,
    as_of: str,
    since: str | None,
    org: str | None,
    rule_paths: Sequence[Path],
    fmt: str,
    statuses: Sequence[str],
) -> None:
    """Judge every required period starting between --since and --as-of."""
    as_of_day = _date(as_of, "--as-of")
    assert as_of_day is not None
    since_day = _date(since, "--since")
    if since_day is not None and since_day > as_of_day:
        raise click.BadParameter(f"{since} is later than --as-of {as_of}", param_hint="--since")
    pack = load_pack(rule_paths)
    result = run_check(
        obj.store, pack, as_of=as_of_day, since=since_day, org=org, with_records=True
    )
    # The ledger stands on the day judged: its final misses open items (once), and the
    # sweep moves items a late record rectified, or whose deadline passed.
    change = update_ledger(obj.store, pack, result, today=as_of_day, now=dt.datetime.now(dt.UTC))
    log.info("ledger", opened=change.opened, late=change.late, overdue=len(change.overdue))
    findings = [f for f in result.findings if not statuses or f.status.value in statuses]
    if not result.registers.orgs:
        err.print(
            "登记册中还没有组织：请先用 orglife import orgs/members/meetings FILE 导入台账"
            f"（数据库：{_safe_url(obj.db)}）",
            highlight=False,
        )
    if fmt == "json":
        rows = [finding_json(f, pack, result.registers.orgs, as_of_day) for f in findings]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    _print_table(result, findings, pack)


STATUS_MARK = {
    Status.HELD: "[green]✓[/]",
    Status.MISSED: "[bold red]✗[/]",
    Status.OPEN: "[yellow]○[/]",
    Status.EXEMPT: "[dim]－[/]",
    Status.NOT_APPLICABLE: "[dim]·[/]",
}


def _short_label(label: str) -> str:
    """The period without its year (the table title carries it): 09, Q3, B5, H2, 全年."""
    _, _, rest = label.partition("-")
    return rest or "全年"


def _print_table(result: Check, findings: Sequence[Finding], pack: RulePack) -> None:
    """A compliance matrix (one row per subject and rule) followed by the misses explained."""
    orgs = result.registers.orgs
    cadres = {m.id: m for m in result.registers.cadres}
    legend = "  ".join(f"{STATUS_MARK[s]}{STATUS_ZH[s]}" for s in list(Status)[:4])
    table = Table(
        title=f"组织生活合规检查（{result.since:%Y-%m-%d} 至 {result.as_of:%Y-%m-%d}）",
        caption=legend,
    )
    for header, justify in (
        ("组织", "left"),
        ("对象", "left"),
        ("规则", "left"),
        ("各期情况", "left"),
        ("落实", "right"),
    ):
        table.add_column(header, justify=justify, overflow="fold")  # type: ignore[arg-type]
    rows: dict[tuple[str, str, str], list[Finding]] = {}
    for f in findings:
        rows.setdefault((f.org, f.member or "", f.rule), []).append(f)
    previous_org = None
    for (code, member_id, rule_id), items in rows.items():
        org = orgs.get(code)
        member = cadres.get(member_id)
        held = sum(f.status is Status.HELD for f in items)
        due = held + sum(f.status is Status.MISSED for f in items)
        table.add_row(
            "" if code == previous_org else f"{org.name if org else code}（{code}）",
            f"{member.name}（{member.id}）" if member else "本组织",
            pack.rule(rule_id).name,
            " ".join(f"{_short_label(f.period.label)}{STATUS_MARK[f.status]}" for f in items),
            f"{held}/{due}" if due else "—",
            end_section=False,
        )
        previous_org = code
    out.print(table)
    missed = [f for f in findings if f.status is Status.MISSED]
    if missed:
        detail = Table(title="未按期开展明细")
        for header in ("组织", "对象", "规则", "周期", "说明"):
            detail.add_column(header, overflow="fold")
        for f in missed:
            rule = pack.rule(f.rule)
            org = orgs.get(f.org)
            member = cadres.get(f.member) if f.member else None
            detail.add_row(
                f"{org.name if org else f.org}（{f.org}）",
                f"{member.name}（{member.id}）" if member else "本组织",
                rule.name,
                f.period.label_zh,
                reason(f, rule, pack, org, result.as_of),
            )
        out.print(detail)
    totals = result.totals()
    due = totals[Status.HELD] + totals[Status.MISSED]
    rate = f"，落实率 {totals[Status.HELD] / due:.1%}" if due else ""
    out.print(
        f"合计 {len(findings)} 项：已落实 {totals[Status.HELD]}，"
        f"未按期开展 {totals[Status.MISSED]}，"
        f"进行中 {totals[Status.OPEN]}，免于考核 {totals[Status.EXEMPT]}{rate}",
        highlight=False,
    )


# --- rules ----------------------------------------------------------------------------


@main.group()
def rules() -> None:
    """Rule packs: validate and explain."""


@rules.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@_handles_errors
def rules_check(paths: Sequence[Path]) -> None:
    """Validate rule packs and explain the rules in force (no PATH: the bundled packs).

    Each PATH (a file, or a folder of *.yaml) is layered on the national baseline on its own.
    """
    files: list[Path] = []
    for path in paths or [bundled_rules_dir()]:
        if path.is_dir():
            files += sorted(path.glob("*.yaml"))
        else:
            files.append(path)
    if not files:
        _fail("no rule pack files (*.yaml) found")
    for file in files:
        pack = load_pack([file])
        table = Table(title=f"{file}：{pack.title}（{len(pack.rules)} 条规则，校验通过）")
        for header in ("规则", "名称", "适用对象", "要求", "宽限", "来源", "所属规则包"):
            table.add_column(header, overflow="fold")
        for row in explain(pack):
            table.add_row(*row.values())
        out.print(table)


# --- demo -----------------------------------------------------------------------------


@main.command()
@click.option(
    "--as-of", "as_of", help="Judge as at this day (default: the demo's snapshot day, 2026-11-20)."
)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_context
@_handles_errors
def demo(ctx: click.Context, as_of: str | None, fmt: str) -> None:
    """Load the bundled demo district into the database and print its compliance table."""
    from monitor.demo import SNAPSHOT_DAY, demo_files

    files = demo_files()
    obj: _Context = ctx.obj
    parent = ctx.parent
    if (
        parent is not None
        and parent.get_parameter_source("db") is click.core.ParameterSource.DEFAULT
    ):
        # Keep the demo out of a real register that may live in ./orglife.db.
        obj.db = DEMO_URL
        out.print(f"演示数据库：{DEMO_URL}", highlight=False)
    today = SNAPSHOT_DAY
    store = obj.store
    for kind, loader in (("orgs", readers.read_orgs), ("members", readers.read_members)):
        _report(getattr(store, f"import_{kind}")(loader(files[kind])), files[kind])
    pack = load_pack()
    _report(
        store.import_meetings(readers.read_meetings(files["meetings"], today=today), pack.catalog),
        files["meetings"],
    )
    ctx.invoke(
        check,
        as_of=as_of or today.isoformat(),
        fmt=fmt,
        since=None,
        org=None,
        rule_paths=(),
        statuses=(),
    )


# The calendar and alert commands live in their own modules, which use the helpers above.
from monitor.cli.alerts import alerts, chats, members  # noqa: E402
from monitor.cli.calendar import calendar, feeds, serve  # noqa: E402
from monitor.cli.ledger import ledger  # noqa: E402
from monitor.cli.report import report  # noqa: E402

for _command in (calendar, feeds, serve, chats, members, alerts, report, ledger):
    main.add_command(_command)

if __name__ == "__main__":  # pragma: no cover
    main(prog_name="orglife")
