"""Run one orglife command in this interpreter and report its peak memory (``bench.suite``).

``python -m bench.child check --as-of …`` is ``orglife check --as-of …``; when the command
ends, the last line on stderr is ``bench.child VmHWM <KiB>``. It imports nothing but the command,
so a short command's time (``orglife --version``) is the command's.
"""

from __future__ import annotations

import atexit
import sys


def vmhwm_kib() -> int | None:
    """This process's peak resident memory (VmHWM) in KiB, None where /proc is missing."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


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
