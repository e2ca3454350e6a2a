"""Run one orglife command in this interpreter and report its peak memory (``bench.suite``).

``python -m bench.child check --as-of …`` is ``orglife check --as-of …``; when the command
ends, the last line on stderr is ``bench.child VmHWM <KiB>``.
"""

from __future__ import annotations

import atexit
import sys

from bench.suite import vmhwm_kib


def _report() -> None:
    sys.stderr.write(f"\nbench.child VmHWM {vmhwm_kib() or 0}\n")
    sys.stderr.flush()


def main() -> None:
    atexit.register(_report)
    from monitor.cli import main as orglife

    sys.argv = ["orglife", *sys.argv[1:]]
    orglife()


if __name__ == "__main__":
    main()
