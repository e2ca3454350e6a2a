"""The long-running service: the scheduler, evaluation cycles and the wiring of HTTP and the bot."""
