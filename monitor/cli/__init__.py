"""The `orglife` command line: a thin shell over the store, the rule packs and the features.

``main`` (the console script) lives in :mod:`monitor.cli.root`; each command group has its own
module, what they share (context, options, error handling, consoles) is in
:mod:`monitor.cli.common`, and the log set-up in :mod:`monitor.cli.logs`. Its wording is in
:mod:`monitor.text.cli`. The top layer: it may import anything, nothing imports it.

Start-up is kept short: ``root`` loads a command's module only when that command runs or shows
its help, and a command module imports the store, the features and rich's tables inside its
commands, so ``orglife --version`` and ``orglife CMD --help`` do not pay for SQLAlchemy.
"""

from __future__ import annotations

from monitor.cli.root import main

__all__ = ["main"]
