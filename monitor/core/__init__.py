"""The pure core: domain objects, periods, kinds, rule packs, working days, the evaluator.

Rules + registers + an explicit ``as_of`` in, findings out. Nothing here touches a clock, a
database, the network or a chat; it imports nothing of ``monitor`` outside ``monitor.core`` and
no I/O library (enforced by the import-linter contracts in ``pyproject.toml``).
"""
