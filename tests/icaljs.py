"""Parse iCalendar feeds with Mozilla's ical.js (Node) so tests check them with an outside parser.

``ensure_icaljs()`` installs the pinned ``ical.js`` from ``tests/js/package-lock.json`` when it
is missing (skips without Node/npm, fails instead under ``CI=true``); ``parse_with_icaljs()``
runs ``tests/js/parse-ics.mjs`` on a file or on bytes and returns its JSON summary. The output
format is documented at the top of ``parse-ics.mjs``.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, NoReturn

import pytest

JS_DIR = Path(__file__).resolve().parent / "js"
PARSE_SCRIPT = JS_DIR / "parse-ics.mjs"
LOCK_FILE = JS_DIR / ".npm-install.lock"
_PACKAGE_JSON = JS_DIR / "node_modules" / "ical.js" / "package.json"
_MIN_NODE_MAJOR = 18
_INSTALL_TIMEOUT_S = 600
_PARSE_TIMEOUT_S = 120

_ready = False


def _unavailable(reason: str) -> NoReturn:
    """Skip the test, or fail it under CI=true where the toolchain must be present."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"ical.js harness required under CI=true: {reason}")
    pytest.skip(f"ical.js harness unavailable: {reason}")


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        _unavailable("`node` is not on PATH")
    return node


def _locked_version() -> str:
    """The ical.js version pinned in package-lock.json."""
    lock = json.loads((JS_DIR / "package-lock.json").read_text(encoding="utf-8"))
    return str(lock["packages"]["node_modules/ical.js"]["version"])


def _installed_version() -> str | None:
    try:
        return str(json.loads(_PACKAGE_JSON.read_text(encoding="utf-8"))["version"])
    except (OSError, ValueError, KeyError):
        return None


def _check_node_version(node: str) -> None:
    out = subprocess.run(
        [node, "--version"], capture_output=True, text=True, timeout=30, check=False
    ).stdout
    match = re.match(r"v(\d+)\.", out.strip())
    if match is None or int(match.group(1)) < _MIN_NODE_MAJOR:
        _unavailable(f"Node >= {_MIN_NODE_MAJOR} needed for ical.js 2.x, found {out.strip()!r}")


def ensure_icaljs() -> None:
    """Make sure Node and the locked ical.js are installed in tests/js (runs `npm ci` once)."""
    global _ready
    if _ready:
        return
    node = _node()
    _check_node_version(node)
    wanted = _locked_version()
    if _installed_version() != wanted:
        npm = shutil.which("npm")
        if npm is None:
            _unavailable("`npm` is not on PATH (needed to install ical.js)")
        # Serialise installs across processes (pytest-xdist workers, parallel sessions).
        with LOCK_FILE.open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                if _installed_version() != wanted:  # another process may have installed it
                    _npm_ci(npm)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
        installed = _installed_version()
        if installed != wanted:
            raise AssertionError(
                f"`npm ci` in {JS_DIR} left ical.js {installed!r} installed, lock says {wanted!r}"
            )
    _ready = True


def _npm_ci(npm: str) -> None:
    cmd = [npm, "ci", "--no-audit", "--no-fund"]
    try:
        proc = subprocess.run(
            cmd,
            cwd=JS_DIR,
            capture_output=True,
            text=True,
            timeout=_INSTALL_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"`{' '.join(cmd)}` in {JS_DIR} timed out") from exc
    if proc.returncode != 0:
        raise AssertionError(
            f"`{' '.join(cmd)}` in {JS_DIR} failed with exit status {proc.returncode}:\n"
            f"{proc.stdout}\n{proc.stderr}"
        )


def parse_with_icaljs(path_or_bytes: str | os.PathLike[str] | bytes) -> dict[str, Any]:
    """Parse an .ics file (a path) or .ics content (bytes) with ical.js; return its summary.

    Raises AssertionError, with Node's stderr, when ical.js rejects the input.
    """
    ensure_icaljs()
    node = _node()
    if isinstance(path_or_bytes, bytes | bytearray):
        label, arg, stdin = "<bytes>", "-", bytes(path_or_bytes)
    else:
        label = arg = os.fspath(path_or_bytes)
        stdin = None
    try:
        proc = subprocess.run(
            [node, str(PARSE_SCRIPT), arg],
            input=stdin,
            capture_output=True,
            timeout=_PARSE_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(
            f"ical.js did not finish parsing {label} in {_PARSE_TIMEOUT_S}s"
        ) from exc
    stderr = proc.stderr.decode("utf-8", errors="replace").strip()
    if proc.returncode != 0:
        raise AssertionError(
            f"ical.js failed to parse {label} (exit status {proc.returncode}):\n{stderr}"
        )
    try:
        result: dict[str, Any] = json.loads(proc.stdout)
    except ValueError as exc:
        raise AssertionError(
            f"parse-ics.mjs printed no valid JSON for {label}: {exc}\nstderr:\n{stderr}"
        ) from exc
    return result
