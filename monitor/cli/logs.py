"""One log stream on stderr: orglife's structlog events and the libraries' stdlib records alike.

uvicorn, python-telegram-bot, APScheduler and httpx log through the standard library; their
records (tracebacks included) are rendered by structlog's ``ProcessorFormatter`` with the same
renderer as orglife's own events, so ``--log-format json`` gives one JSON object per line.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

_HANDLER_NAME = "orglife-stderr"


def configure_logging(*, verbose: bool, json: bool) -> None:
    """Route structlog and stdlib logging to stderr, rendered as console lines or JSON."""
    level = logging.INFO if verbose else logging.WARNING
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    # The console renderer prints tracebacks itself; JSON needs them as a string field.
    tracebacks = [structlog.processors.format_exc_info] if json else []
    structlog.configure(
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        wrapper_class=structlog.make_filtering_bound_logger(level),
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"),
            *tracebacks,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[
                structlog.stdlib.add_log_level,
                structlog.stdlib.add_logger_name,
                structlog.processors.TimeStamper(fmt="iso"),
            ],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                *tracebacks,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    # Replace only our own handler: others (a test's log capture) stay.
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
