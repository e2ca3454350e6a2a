"""The problem ledger (问题台账): item states and moves (pure), their SQL, the xlsx export."""
