"""A yes/no modal used before anything irreversible: sending an order, leaving HALTED."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ConfirmModal(ModalScreen[bool]):
    """Dismisses with True only on an explicit yes (button, `y` or enter on the yes button)."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(
        self,
        title: str,
        body: str,
        yes: str = "Yes, send",
        danger: bool = False,
        blocked: str = "",
    ) -> None:
        super().__init__()
        self.title_text, self.body, self.yes, self.danger = title, body, yes, danger
        self.blocked = blocked  # why yes is not offered: the answer can only be no

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box", classes="-danger" if self.danger else ""):
            yield Static(self.title_text, id="confirm-title")
            yield Static(self.body, id="confirm-body", markup=False)
            if self.blocked:
                yield Static(self.blocked, id="confirm-blocked")
            with Horizontal(id="confirm-buttons"):
                yield Button(
                    "Blocked" if self.blocked else f"{self.yes} (y)",
                    id="confirm-yes",
                    variant="error" if self.danger else "primary",
                    disabled=bool(self.blocked),
                )
                yield Button("Cancel (n)", id="confirm-no")

    def on_mount(self) -> None:
        self.query_one("#confirm-no", Button).focus()  # the safe answer has the focus

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-yes" and not self.blocked)

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes and not self.blocked)
