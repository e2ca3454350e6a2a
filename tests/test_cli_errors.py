"""Click's own usage errors reach the user in Chinese, as one line with where to find help."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from monitor.cli import main

CASES = [
    (["check"], "缺少选项 '--as-of'"),
    (["check", "--as-of", "2026-11-20", "--format", "xml"], "“xml”不是可选的值，可选：table, json"),
    (
        ["check", "--as-of", "2026-11-20", "--stat", "open"],
        "没有选项 --stat（是否想用 --status？）",
    ),
    (["bogus"], "没有“bogus”这个命令"),
    (["serve", "--port", "99999"], "99999 超出允许范围"),
    (["check", "--as-of"], "选项 --as-of 后面需要写一个值"),
    (["import", "orgs"], "缺少参数 'FILE'"),
    (["report", "--month", "2026-10", "--trend", "x"], "“x”不是数字"),
    (["check", "--as-of", "2026/11/20"], "“2026/11/20”不是日期，请写作 YYYY-MM-DD"),
]


@pytest.mark.parametrize(("args", "expected"), CASES, ids=[" ".join(a) for a, _ in CASES])
def test_a_usage_error_is_one_chinese_line_with_a_help_hint(args: list[str], expected: str):
    result = CliRunner().invoke(main, ["--db", "sqlite:///:memory:", *args])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("错误：")
    assert expected in lines[0]
    assert "--help 查看用法" in lines[0]
    assert "Error" not in result.stderr
    assert "Usage" not in result.stderr


def test_help_and_version_still_exit_zero():
    for args in (["--help"], ["--version"], ["check", "--help"]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, (args, result.output)
        assert result.output
