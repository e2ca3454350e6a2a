"""The problem ledger (问题台账): item states and moves (pure), their SQL, the xlsx export.

``model`` is pure (states, moves, labels); ``store`` keeps items and their audit trail in SQL;
``export`` writes the workbook. May import store, registers, holidays, text and core.
"""
