"""Change a Static's text without re-laying out the whole screen unless its height changes.

Static.update re-lays out the screen by default: on a kill, three texts changing (the state, the
report, the ticket's status) each cost a layout of every pane, and the frame with every row
closed waited behind them. A text that still fits the lines it had only needs a repaint.
"""

from __future__ import annotations

from textual.widgets import Static


def set_text(static: Static, text: str) -> None:
    """Show `text`; a layout only when it needs another number of lines (or nothing is known)."""
    if static.content == text:
        return
    size = static.content_size
    static.update(text, layout=False)
    if not size.width or static.visual.get_height(static.styles, size.width) != size.height:
        static.refresh(layout=True)
