"""What every `orglife` command shares: the context, date options, error handling, consoles."""

from __future__ import annotations

import datetime as dt
import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar
from zoneinfo import ZoneInfo

import click
import structlog
from rich.console import Console
from sqlalchemy.exc import OperationalError

from monitor.core.errors import OrglifeError
from monitor.store import Store
from monitor.store.schema import normalise_url

SHANGHAI = ZoneInfo("Asia/Shanghai")

F = TypeVar("F", bound=Callable[..., Any])
log = structlog.get_logger("orglife")
# Replaced by reset_consoles() when a command runs, so the terminal width (COLUMNS) is read
# then; commands reach them as ``common.out`` / ``common.err`` for that reason.
out = Console(soft_wrap=True)
err = Console(stderr=True)


def reset_consoles() -> None:
    """Build the consoles for this invocation."""
    global out, err
    out = Console(soft_wrap=True)
    err = Console(stderr=True)


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one error line on stderr and exit."""
    err.print(f"[bold red]错误：[/]{message}", highlight=False, markup=True, soft_wrap=True)
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
    try:
        return normalise_url(url).render_as_string(hide_password=True)
    except OrglifeError:
        return "<无效的数据库地址>"


def handles_errors(func: F) -> F:
    """Report user errors as one clear line and a non-zero exit, not a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
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
