"""Accounts: users with a role scoped to the org tree, API tokens, web sessions, login throttling.

* :mod:`.model` (pure) — roles, what each may do, and the scope a user works in;
* :mod:`.passwords` — Argon2 hashing (pwdlib);
* :mod:`.store` — users, tokens, sessions and login attempts in SQL.

May import :mod:`monitor.store` and :mod:`monitor.core`; the HTTP layer, the CLI and the bot
use it to say who is acting and what they may see.
"""
