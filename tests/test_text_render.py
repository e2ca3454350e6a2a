"""The Jinja2 environment of monitor.text.render: escaping, strictness, a light import."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest
from jinja2 import UndefinedError

from monitor.core.periods import Period
from monitor.text.render import environment, render


def test_html_templates_escape_and_text_templates_do_not():
    assert environment().from_string("{{ x }}").render(x="<b>") == "<b>"
    page = environment().get_template("report/_parts.html").module
    assert "&lt;b&gt;" in str(page.table(["h"], [["<b>"]]))  # type: ignore[attr-defined]
    line = render(
        "alerts/late.txt",
        org="B01",
        org_name="<第一>党支部",
        member=None,
        cadre_name=None,
        rule_name="支部党员大会",
        period=Period.parse("2026-Q2"),
    )
    assert (
        line == "B01 <第一>党支部 · 支部党员大会 2026年第二季度：已补录，此前通报的未按期情况已消除"
    )


def test_a_missing_variable_fails_loudly():
    with pytest.raises(UndefinedError):
        render("alerts/report_caption.txt")


def test_the_workbook_caption_names_the_month_in_chinese():
    caption = render("alerts/report_caption.txt", month=Period.parse("2026-09"))
    assert caption == "2026年9月组织生活检查通报（明细、问题台账、后补记录）"
    assert environment().filters["md"](dt.date(2026, 9, 30)) == "9月30日"


def test_importing_the_renderer_loads_no_database_library():
    code = "import sys, monitor.text.render; print('sqlalchemy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
