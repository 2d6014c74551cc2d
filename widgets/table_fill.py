"""Fill a DataTable with column widths measured from its rows, never left to the first layout.

Rows added before a table's first layout on a real terminal were cut to the headers' widths
(a bid of 189.97 painted as "189"): a number cut short is a wrong number, so every table sizes
its columns here from what it is about to show.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from textual.widgets import DataTable


def widths(labels: Sequence[str], rows: Sequence[Sequence[str]]) -> list[int]:
    """Each column as wide as its widest cell or its label, in terminal cells."""
    return [
        max([cell_len(label), *(cell_len(r[i]) for r in rows)]) for i, label in enumerate(labels)
    ]


def refill(
    table: DataTable[str],
    labels: Sequence[str],
    rows: Sequence[Sequence[str]],
    keys: Sequence[str] | None = None,
    column_keys: Sequence[str] | None = None,
) -> None:
    """Replace columns and rows; widths fit exactly what is shown now, not the widest ever."""
    table.clear(columns=True)
    for i, (label, width) in enumerate(zip(labels, widths(labels, rows), strict=True)):
        table.add_column(label, width=width, key=column_keys[i] if column_keys else None)
    for i, r in enumerate(rows):
        table.add_row(*r, key=keys[i] if keys else None)


def fits(table: DataTable[str], column_key: str, value: str) -> bool:
    """Whether `value` fits its column as it is sized now (else the table must be refilled)."""
    return cell_len(value) <= table.columns[column_key].width  # type: ignore[index]


def resize(table: DataTable[str], new_widths: Sequence[int]) -> None:
    """Set each column's width in place: no columns rebuilt, so no re-layout of the screen."""
    for column, width in zip(table.ordered_columns, new_widths, strict=True):
        column.width = width
    table._require_update_dimensions = True  # the scrollable width follows on the next idle
    table.refresh()
