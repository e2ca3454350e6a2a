"""Alerts: the pure planner, the outbox and its dispatcher, the chat channels and the bot.

``plan`` decides (pure); ``store`` keeps chats, finding states and the outbox in SQL; ``dispatch``
delivers through a ``channels`` implementation; ``bot`` answers chat commands. May import the
layers below it (reporting, calendar, check, ledger, store, registers, core).
"""
