"""Fill a DataTable with column widths measured from its rows, never left to the first layout.

Rows added before a table's first layout on a real terminal were cut to the headers' widths
(a bid of 189.97 painted as "189"): a number cut short is a wrong number, so every table sizes
its columns here from what it is about to show.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from textual.coordinate import Coordinate
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
    """Show `rows` with widths that fit exactly what is shown now, not the widest ever.

    The same rows (same count, keys and labels) change only the cells that changed, with the
    columns resized in place: rebuilding the columns re-lays out the whole screen, which held
    every other pane's repaint (the quotes' p99) each time a pane repainted."""
    shape = widths(labels, rows)
    now = [tuple(r) for r in rows]
    ident = (tuple(labels), tuple(keys) if keys else None, tuple(column_keys or ()), len(now))
    if getattr(table, "_filled_ident", None) == ident and table.row_count == len(now):
        if shape != [c.width for c in table.ordered_columns]:
            resize(table, shape)
        # against what the table holds now (a pane may have changed cells itself since)
        was = [tuple(table.get_row_at(i)) for i in range(len(now))]
        for i, (a, b) in enumerate(zip(was, now, strict=True)):
            for j, (x, y) in enumerate(zip(a, b, strict=True)):
                if x != y:
                    table.update_cell_at(Coordinate(i, j), y)
    else:
        table.clear(columns=True)
        for i, (label, width) in enumerate(zip(labels, shape, strict=True)):
            table.add_column(label, width=width, key=column_keys[i] if column_keys else None)
        for i, r in enumerate(rows):
            table.add_row(*r, key=keys[i] if keys else None)
    table._filled_ident = ident  # type: ignore[attr-defined]


def fits(table: DataTable[str], column_key: str, value: str) -> bool:
    """Whether `value` fits its column as it is sized now (else the table must be refilled)."""
    return cell_len(value) <= table.columns[column_key].width  # type: ignore[index]


def resize(table: DataTable[str], new_widths: Sequence[int]) -> None:
    """Set each column's width in place: no columns rebuilt, so no re-layout of the screen."""
    for column, width in zip(table.ordered_columns, new_widths, strict=True):
        column.width = width
    table._require_update_dimensions = True  # the scrollable width follows on the next idle
    table.refresh()
