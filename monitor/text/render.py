"""The Jinja2 environment every user-facing template renders through.

Templates live in ``monitor/text/templates/`` and load through the package (so they work from
an installed wheel). ``.html`` templates autoescape; text templates (chat messages) do not, so
user data is only ever passed in as variables, never formatted into template source. Undefined
variables raise: a misspelt name fails the tests instead of rendering as nothing.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, Template, select_autoescape


def md_zh(day: dt.date) -> str:
    """9月30日."""
    return f"{day.month}月{day.day}日"


def ymd_zh(day: dt.date) -> str:
    """2026年9月30日."""
    return f"{day.year}年{day.month}月{day.day}日"


@cache
def environment() -> Environment:
    """The shared environment, built on first use."""
    env = Environment(
        loader=PackageLoader("monitor.text", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        # Templates ship with the code; checking their mtime on every render buys nothing.
        auto_reload=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["md"] = md_zh
    env.filters["ymd"] = ymd_zh
    return env


@cache
def template(name: str) -> Template:
    """The template ``name`` (a path under ``templates/``, e.g. ``alerts/missed.txt``)."""
    return environment().get_template(name)


def render(name: str, /, **data: Any) -> str:
    """Render the template ``name`` with ``data``."""
    return template(name).render(**data)
