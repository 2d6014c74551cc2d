"""A DataTable that renders a cell again only when what it shows changed.

Textual's DataTable keys every cached cell on a table-wide update counter, so one update_cell
renders every cell of the table again: on the market board at 1k quotes/s that was 6 of every
8 ms a frame cost. Here a cell of plain text is cached on its text, place, width and style;
anything else (Rich renderables, row labels) renders as Textual does. A column that grows
without changing the table's box (same rows, the horizontal scrollbar neither coming nor going)
needs a repaint, not a layout of the whole screen: on a kill every status grows from "working" to "cancelled", and
that layout held the frame showing the closed rows. Textual is pinned (pyproject); the
overridden private methods are `_render_cell` and `_update_dimensions`.
"""

from __future__ import annotations

from typing import Any

from rich.segment import Segment
from rich.style import Style
from textual.cache import LRUCache
from textual.widgets import DataTable

CELLS_CACHED = 4096  # a board of 7 columns by a handful of venues, many prices each


class ContentCachedTable(DataTable[str]):
    """DataTable whose plain-text cells are re-rendered only when their text changes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._by_content: LRUCache[tuple[Any, ...], list[list[Segment]]] = LRUCache(CELLS_CACHED)

    def _render_cell(
        self,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool = False,
        hover: bool = False,
    ) -> list[list[Segment]]:
        text = self._cell_text(row_index, column_index)
        if text is None:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        key = (
            row_index, column_index, text, base_style, width, cursor, hover,
            self._show_hover_cursor, self._pseudo_class_state,
        )  # fmt: skip
        lines = self._by_content.get(key)
        if lines is None:
            lines = super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
            self._by_content[key] = lines
        return lines

    def _cell_text(self, row_index: int, column_index: int) -> str | None:
        """The plain text a cell holds (a header's label), None where Textual must decide."""
        if column_index < 0:
            return None
        column_key = self._column_locations.get_key(column_index)
        if column_key is None:
            return None
        if row_index == -1:
            return "\0header\0" + self.columns[column_key].label.plain
        row_key = self._row_locations.get_key(row_index)
        if row_key is None or self.rows[row_key].height != 1:
            return None
        value = self._data.get(row_key, {}).get(column_key)
        return value if isinstance(value, str) else None

    _hold_layout = False  # set while new dimensions are known not to move anything on screen

    def refresh(
        self, *regions: Any, repaint: bool = True, layout: bool = False, recompose: bool = False
    ) -> Any:
        layout = layout and not self._hold_layout
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    def _update_dimensions(self, new_rows: Any) -> None:
        before = self.virtual_size
        width = self.styles.width  # unset: the container's width, whatever the columns
        self._hold_layout = width is None or not width.is_auto
        try:
            super()._update_dimensions(new_rows)
        finally:
            self._hold_layout = False
        after, view = self.virtual_size, self.scrollable_content_region.size
        if before.height != after.height or (before.width > view.width) != (
            after.width > view.width
        ):
            self.refresh(layout=True)  # rows came or went, or the horizontal scrollbar does
        elif after.width > view.width:
            self._scroll_update(after)  # the scrollbar stays: only its thumb and range change

    def _clear_caches(self) -> None:
        super()._clear_caches()
        self._by_content.clear()

    def notify_style_update(self) -> None:
        self._by_content.clear()  # a theme or CSS change restyles every cell
        super().notify_style_update()
