"""The help screen: every binding with its id, key and meaning, straight from console.bindings."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from console.bindings import ACTIONS, PANE_ACTIONS


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close", id="help.close")]

    def compose(self) -> ComposeResult:
        t = Table(title="Tranche keys (ctrl+p: command palette)", expand=True)
        t.add_column("key", no_wrap=True)
        t.add_column("action")
        t.add_column("id", no_wrap=True)
        t.add_column("what it does")
        for a in (*ACTIONS, *PANE_ACTIONS):
            keys = self.app.key_for(a.id, a.key)  # type: ignore[attr-defined]
            key = " / ".join(  # every key in force: the kill switch has a spare
                self.app.get_key_display(Binding(k.strip(), a.action)) for k in keys.split(",")
            )
            t.add_row(key, a.title, a.id, a.help)
        t.add_row("tab / shift+tab", "Move focus", "", "Next / previous field or pane")
        t.add_row("ctrl+p", "Command palette", "", "Every action and theme, searchable")
        with VerticalScroll(id="help-box"):
            yield Static(t)
            yield Static("escape closes this screen", id="help-hint")
