"""A dispatcher in its own process, for tests that kill it mid-run (tests/test_dispatch.py).

    python tests/dispatch_child.py DATABASE_URL WORKER START_ISO MAX_CHARS

Sends through the Bot API at ``ORGLIFE_TELEGRAM_API_URL`` with ``ORGLIFE_TELEGRAM_TOKEN``; its
clock starts at ``START_ISO`` and runs in real time. Prints ``ready`` before dispatching.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
import time

from monitor.alerts.channels import channel_from_env
from monitor.alerts.dispatch import Dispatcher
from monitor.store import Store


def main(argv: list[str]) -> int:
    url, worker, start_iso, max_chars = argv
    start = dt.datetime.fromisoformat(start_iso)
    origin = time.monotonic()

    def clock() -> dt.datetime:
        return start + dt.timedelta(seconds=time.monotonic() - origin)

    async def run() -> None:
        channel = channel_from_env()
        try:
            with Store.open(url, migrate=False) as store:
                dispatcher = Dispatcher(
                    store, channel, worker=worker, clock=clock, max_chars=int(max_chars)
                )
                print("ready", flush=True)
                await dispatcher.run_once()
        finally:
            await channel.aclose()

    asyncio.run(run())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
