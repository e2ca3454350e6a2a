"""The codebase stays ruff- and mypy-clean; a failure here names the offending lines."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed; install the test extras: pip install -e '.[test]'")
    return found


@pytest.mark.parametrize(
    "command",
    [["ruff", "check", "."], ["ruff", "format", "--check", "."], ["mypy"], ["lint-imports"]],
    ids=["ruff-check", "ruff-format", "mypy", "import-contracts"],
)
def test_the_code_passes(command: list[str]):
    result = subprocess.run(
        [_tool(command[0]), *command[1:]], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def private_reaches(path: Path, module: str) -> list[str]:
    """Uses, in ``module`` (read from ``path``), of another module's private names (``_name``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[str] = []
    aliases: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("monitor"):
            for alias in node.names:
                private = alias.name.startswith("_") and not alias.name.startswith("__")
                if private and node.module != module:
                    found.append(f"{module}: from {node.module} import {alias.name}")
                aliases.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            aliases.update(
                a.asname or a.name.split(".")[0] for a in node.names if a.name.startswith("monitor")
            )
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ):
            found.append(f"{module}: {node.value.id}.{node.attr}")
    return found


def test_no_module_reaches_into_another_modules_private_names():
    paths = sorted((ROOT / "monitor").rglob("*.py"))
    found = [use for path in paths for use in private_reaches(path, _module_name(path))]
    assert found == [], "\n".join(found)


def test_the_private_name_check_sees_both_forms(tmp_path: Path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from monitor.cli.common import _hidden\n"
        "from monitor.cli import _own\n"
        "import monitor.cli as base\n"
        "base._other\n"
    )
    assert private_reaches(sample, "monitor.cli") == [
        "monitor.cli: from monitor.cli.common import _hidden",
        "monitor.cli: base._other",
    ]
