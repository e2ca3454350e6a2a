"""Calendar feeds: the pure feed builder, the iCalendar writer, tokens and stamps in SQL.

``feed`` builds events from rules, registers and findings (pure); ``ical`` writes them (pure);
``store`` keeps URL tokens and event stamps; ``service`` ties them to the store for one subject.
May import check, ledger, store, registers, holidays, text and core; not reporting (its sibling)
nor anything above.
"""
