"""The what-if of a finished parent: its shortfall under each algorithm, as a table and bars."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from widgets.whatif_result import WhatIfResult


class WhatIfModal(ModalScreen[None]):
    """Shows 'running' until the re-runs finish, then the table and bars; escape closes it."""

    DEFAULT_CSS = """
    WhatIfModal { align: center middle; }
    #whatif-box { width: 110; height: auto; border: thick $primary; background: $surface; padding: 1 2; }
    """
    BINDINGS = [Binding("escape,q", "close", "Close", id="whatif.close")]

    def __init__(self, parent_id: str) -> None:
        super().__init__()
        self.parent_id = parent_id
        self.outcome: tuple[str, Any] | None = None  # kept when it arrives before the mount

    def compose(self) -> ComposeResult:
        with Vertical(id="whatif-box"):
            yield Static(f"What-if of {self.parent_id}", id="whatif-title")
            yield WhatIfResult(id="whatif-result")

    def on_mount(self) -> None:
        if self.outcome is not None:
            self._paint()

    def show(self, result: dict[str, Any]) -> None:
        self.outcome = ("show", result)
        self._paint()

    def failed(self, text: str) -> None:
        self.outcome = ("failed", text)
        self._paint()

    def _paint(self) -> None:
        if self.outcome is None or not self.is_mounted:
            return  # a fast answer (a bad file) can beat the screen's own mount
        kind, value = self.outcome
        box = self.query_one(WhatIfResult)
        if kind == "show":
            box.show(value)
        else:
            box.failed(value)

    def action_close(self) -> None:
        self.dismiss(None)
