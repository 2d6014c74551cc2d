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

    def compose(self) -> ComposeResult:
        with Vertical(id="whatif-box"):
            yield Static(f"What-if of {self.parent_id}", id="whatif-title")
            yield WhatIfResult(id="whatif-result")

    def show(self, result: dict[str, Any]) -> None:
        self.query_one(WhatIfResult).show(result)

    def failed(self, text: str) -> None:
        self.query_one(WhatIfResult).failed(text)

    def action_close(self) -> None:
        self.dismiss(None)
