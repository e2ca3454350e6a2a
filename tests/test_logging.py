"""With ``--log-format json`` every line on stderr is one JSON object, library tracebacks too."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from monitor.store import Store


def wait_for(path: Path, text: str, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in path.read_text(encoding="utf-8"):
            return True
        time.sleep(0.1)
    return False


def test_a_failing_scheduled_job_is_logged_as_json_lines_with_its_traceback(tmp_path: Path):
    database = tmp_path / "orglife.db"
    Store.open(f"sqlite:///{database}").close()
    stderr = tmp_path / "stderr.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORGLIFE_")}
    with stderr.open("w", encoding="utf-8") as sink:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "monitor",
                "--db",
                f"sqlite:///{database}",
                "--log-format",
                "json",
                "serve",
                "--port",
                "0",
                "--no-bot",
                "--dispatch-every",
                "0.5",
            ],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=sink,
            text=True,
        )
        try:
            assert wait_for(stderr, '"event": "evaluated"'), stderr.read_text()
            # Pull the outbox from under the running service: its next dispatch job raises.
            with sqlite3.connect(database, timeout=10) as conn:
                conn.execute("ALTER TABLE outbox RENAME TO outbox_gone")
            assert wait_for(stderr, '"event": "job_failed"'), stderr.read_text()
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
    lines = [line for line in stderr.read_text(encoding="utf-8").splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # raises on any line that is not JSON
    assert all(isinstance(r, dict) and "event" in r and "level" in r for r in records)
    failed = [r for r in records if r["event"] == "job_failed"]
    assert failed[0]["job"] == "dispatch"
    assert failed[0]["error"] == "OperationalError"
    tracebacks = [r for r in records if "Traceback" in r.get("exception", "")]
    assert tracebacks, "APScheduler's traceback should be a JSON field"
    assert any("outbox" in r["exception"] for r in tracebacks)
    assert any(r.get("logger", "").startswith("apscheduler") for r in tracebacks)
    assert records[-1]["event"] == "stopped"
