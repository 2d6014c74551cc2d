"""The log pane: engine log messages, alerts and console errors, appended in order."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from textual.widgets import RichLog


class LogPane(RichLog):
    """Writes only lines it has not written yet, so a repaint costs the new lines only."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(max_lines=2000, wrap=False, markup=False, **kwargs)  # type: ignore[arg-type]
        self.written = 0

    def show(self, lines: Iterable[tuple[float, str, str]], total: int) -> None:
        """`lines` is the bounded tail; `total` counts every line ever appended."""
        tail = list(lines)
        new = min(total - self.written, len(tail))
        for ts, level, message in tail[len(tail) - new :] if new > 0 else []:
            stamp = datetime.fromtimestamp(ts, UTC).strftime("%H:%M:%S") if ts else "--:--:--"
            self.write(f"{stamp} {level.upper():7} {message}")
        self.written = total
