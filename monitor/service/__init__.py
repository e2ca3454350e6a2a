"""The long-running service: the scheduler, evaluation cycles and the wiring of HTTP and the bot.

``runner`` holds ``run_cycle`` (one evaluation and what it enqueues) and ``Service`` (one
asyncio loop: HTTP, APScheduler jobs, dispatch, the bot). May import everything but the CLI.
"""
