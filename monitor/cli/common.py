"""What every `orglife` command shares: the context, date options, error handling, consoles.

Imported by ``orglife --version`` and ``--help`` too, so it imports no heavy library at the top:
rich, structlog, SQLAlchemy and the store are imported where they are first used.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar
from zoneinfo import ZoneInfo

import click

from monitor.core.errors import OrglifeError
from monitor.text import cli as msg

if TYPE_CHECKING:
    from rich.console import Console

    from monitor.store import Store

SHANGHAI = ZoneInfo("Asia/Shanghai")

F = TypeVar("F", bound=Callable[..., Any])
# Built by reset_consoles() when a command runs, so the terminal width (COLUMNS) is read then
# (or on first use, through __getattr__); commands reach them as ``common.out`` / ``common.err``
# for that reason.
out: Console
err: Console
#: orglife's structlog logger, created on first use (``common.log``).
log: Any


def __getattr__(name: str) -> Any:
    """The consoles and the logger on first use: rich and structlog cost ~0.2 s to import."""
    if name in ("out", "err"):
        reset_consoles()
        return globals()[name]
    if name == "log":
        import structlog

        logger = globals()["log"] = structlog.get_logger("orglife")
        return logger
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def reset_consoles() -> None:
    """Build the consoles for this invocation."""
    from rich.console import Console

    global out, err
    out = Console(soft_wrap=True)
    err = Console(stderr=True)


def stderr_console() -> Console:
    """The stderr console, built first if no command has built it (a usage error comes first)."""
    if "err" not in globals():
        reset_consoles()
    return err


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one error line on stderr and exit."""
    stderr_console().print(
        f"[bold red]错误：[/]{message}", highlight=False, markup=True, soft_wrap=True
    )
    sys.exit(code)


def today_in_shanghai() -> dt.date:
    """Today's date where the registers are kept (the shell reads the clock; the core never)."""
    return dt.datetime.now(SHANGHAI).date()


def parse_date(value: str | None, option: str) -> dt.date | None:
    """An option's YYYY-MM-DD value, or a usage error naming the option."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"“{value}”不是日期，请写作 YYYY-MM-DD（如 2026-11-20）", param_hint=option
        ) from None


class Context:
    """The object every command receives: the database URL and the store, opened lazily."""

    def __init__(self, db: str) -> None:
        self.db = db
        self._store: Store | None = None

    @property
    def store(self) -> Store:
        """The store, opened (and migrated) on first use, so --help needs no database."""
        if self._store is None:
            from monitor.store import Store

            self._store = Store.open(self.db)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


rules_option: Callable[[Callable[..., Any]], Callable[..., Any]] = click.option(
    "--rules",
    "rule_paths",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Overlay rule pack layered on the national baseline (repeatable, in order).",
)


def safe_url(url: str) -> str:
    """The database URL without its password, for messages and logs."""
    from monitor.store.schema import normalise_url

    try:
        return normalise_url(url).render_as_string(hide_password=True)
    except OrglifeError:
        return "<无效的数据库地址>"


def handles_errors(func: F) -> F:
    """Report user errors as one clear line and a non-zero exit, not a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        # The command is about to use the store, which imports SQLAlchemy anyway.
        from sqlalchemy.exc import OperationalError

        try:
            return func(*args, **kwargs)
        except OrglifeError as exc:
            fail(str(exc))
        except OperationalError as exc:
            # The driver's first line says why (refused, unknown database, locked file); the
            # URL is shown without its password.
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            context = click.get_current_context(silent=True)
            obj = context.find_object(Context) if context is not None else None
            url = safe_url(obj.db) if obj is not None else ""
            fail(f"无法使用数据库 {url}：{reason}")

    return wrapper  # type: ignore[return-value]


class ChineseUsageGroup(click.Group):
    """The root command group: click's own usage errors reported in Chinese, one line each.

    Click words its errors in English ("Missing option '--as-of'"); the users of orglife read
    Chinese. The error is rebuilt from the exception's structured fields (the option, the value)
    rather than by translating click's sentence.
    """

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        try:
            result = super().main(*args, **kwargs)
        except click.exceptions.Abort:
            stderr_console().print(msg.ABORTED, highlight=False)
            sys.exit(1)
        except click.UsageError as exc:
            from rich.markup import escape

            usage = exc.ctx.command_path if exc.ctx is not None else "orglife"
            stderr_console().print(
                f"[bold red]错误：[/]{escape(usage_error_zh(exc))}"
                f"（用 {escape(usage)} --help 查看用法）",
                highlight=False,
                soft_wrap=True,
            )
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            from rich.markup import escape

            fail(escape(exc.format_message()), exc.exit_code)
        if isinstance(result, int) and result:
            sys.exit(result)
        return result


def usage_error_zh(exc: click.UsageError) -> str:
    """A click usage error said in Chinese, naming the option or argument and the value."""
    ctx = exc.ctx

    def hint(param: click.Parameter | None, given: str | Sequence[str] | None) -> str:
        if given:
            return given if isinstance(given, str) else " / ".join(given)
        if param is not None and ctx is not None:
            return param.get_error_hint(ctx)
        return ""

    if isinstance(exc, click.MissingParameter):
        kind = exc.param_type or (exc.param.param_type_name if exc.param is not None else "")
        what = msg.PARAMETER_KINDS.get(kind, msg.PARAMETER_KINDS["parameter"])
        return msg.missing_parameter(what=what, name=hint(exc.param, exc.param_hint))
    if isinstance(exc, click.BadParameter):
        return msg.bad_value(name=hint(exc.param, exc.param_hint), problem=value_problem_zh(exc))
    if isinstance(exc, click.NoSuchOption):
        return msg.no_such_option(name=exc.option_name, alternatives=list(exc.possibilities or ()))
    if isinstance(exc, click.BadOptionUsage):
        return msg.option_needs_value(name=exc.option_name)
    text = exc.format_message()
    found = _NO_SUCH_COMMAND.match(text)
    if found is not None:
        return msg.no_such_command(name=found["name"])
    return text


def value_problem_zh(exc: click.BadParameter) -> str:
    """Why a value was refused: the option types' messages in Chinese, orglife's own as they are."""
    text = exc.format_message()
    message = exc.message
    for pattern, render in _VALUE_PROBLEMS:
        found = pattern.match(message)
        if found is not None:
            return render(found)
    return message if message else text


_NO_SUCH_COMMAND = re.compile(r"No such command '(?P<name>.*)'\.")
_VALUE_PROBLEMS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (
        re.compile(r"'(?P<value>.*)' is not one of (?P<choices>.*)\.$"),
        lambda m: msg.not_a_choice(value=m["value"], choices=m["choices"].replace("'", "")),
    ),
    (
        re.compile(r"(?P<value>.*) is not in the range (?P<range>.*)\.$"),
        lambda m: msg.out_of_range(value=m["value"], bounds=m["range"]),
    ),
    (
        re.compile(
            r"'(?P<value>.*)' is not a valid (?P<type>integer|float|integer range|float range)\.$"
        ),
        lambda m: msg.not_a_number(value=m["value"]),
    ),
    (
        re.compile(r"(?P<kind>File|Directory|Path) '(?P<value>.*)' does not exist\.$"),
        lambda m: msg.path_missing(value=m["value"]),
    ),
)
