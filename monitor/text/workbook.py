"""Cells orglife writes into workbooks hold text as text: never a formula.

openpyxl stores any string that starts with ``=`` as a formula, so a branch named
``=HYPERLINK("http://…","点此")`` or a ledger note typed that way would become a live formula in
every inspector's copy of the workbook. Every workbook writer passes its values through here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any


def is_formula_like(value: object) -> bool:
    """Whether openpyxl would store ``value`` as a formula."""
    return isinstance(value, str) and value.startswith("=")


def literal(ws: Any, value: Any) -> Any:
    """``value`` for a write-only sheet's row: a string cell marked as text when it looks like a
    formula, else the value itself (plain values are much cheaper to write)."""
    if not is_formula_like(value):
        return value
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=value)
    cell.data_type = "s"
    return cell


def literal_row(ws: Any, values: Sequence[Any]) -> list[Any]:
    """A write-only sheet's row with every formula-like string kept as text."""
    return [literal(ws, v) for v in values]


def keep_text(cells: Iterable[Any]) -> None:
    """Mark as text every cell openpyxl took for a formula (orglife writes no formulas)."""
    for cell in cells:
        if cell.data_type == "f":
            cell.data_type = "s"
