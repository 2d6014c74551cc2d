"""The kill switch: a visible button, the trading state, and the result of the last kill."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Static

from engine.events import KillReport, VenuesSwept
from engine.models import TradingState
from widgets.format import ms
from widgets.in_place import set_text


class KillSwitch(Vertical):
    """Asks the app to kill or reset; the engine owns the state, this only shows it."""

    class KillRequested(Message):
        """The trader pressed KILL."""

    class ResetRequested(Message):
        """The trader asked to return to ACTIVE (the app confirms first)."""

    def compose(self) -> ComposeResult:
        with Horizontal(classes="kill-buttons"):
            yield Button("KILL", id="kill-button", variant="error", compact=True)
            yield Button(
                "Reset ^r", id="reset-button", variant="default", compact=True, disabled=True
            )
        yield Static("", id="kill-state")
        yield Static("no kill in this session", id="kill-report")  # a halt may be older
        sweep = Static("", id="kill-sweep")
        sweep.display = False  # shown once a kill has swept the venues
        yield sweep

    def on_mount(self) -> None:
        key_for = getattr(self.app, "key_for", None)  # the keys in force, the trader's keymap first
        if key_for is not None:
            kill = key_for("tranche.kill").split(",")[0].strip()
            reset = key_for("tranche.reset").split(",")[0].strip()
            self.query_one(
                "#kill-button", Button
            ).label = f"KILL {self.app.get_key_display(Binding(kill, 'kill'))}"
            self.query_one(
                "#reset-button", Button
            ).label = f"Reset {self.app.get_key_display(Binding(reset, 'reset'))}"

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "kill-button":
            self.post_message(self.KillRequested())
        elif event.button.id == "reset-button":
            self.post_message(self.ResetRequested())

    def show(self, state: TradingState, reason: str, report: KillReport | None) -> None:
        kill_state = self.query_one("#kill-state", Static)
        for s in TradingState:  # on the line itself: restyling the whole pane cost ~6 ms a kill
            kill_state.set_class(s is state, f"-{s.value}")
        self.query_one("#reset-button", Button).disabled = state is TradingState.ACTIVE
        said = f"trading {state.value.upper()}" + (f": {reason}" if reason else "")
        set_text(kill_state, said)  # no layout when it fits
        if report is not None:
            failed = "\n".join(f"  failed {who}: {why}" for who, why in report.failed)
            head = (
                f"kill retry {report.followup}: confirmed {report.cancelled} more, "
                + (f"{len(report.failed)} still unknown (retrying)" if failed else "all confirmed")
                if report.followup
                else f"last kill: cancelled {report.cancelled}, failed {len(report.failed)}, "
                f"algos stopped {report.algos_stopped}, {ms(report.elapsed_ms)}"
            )
            said = head + (f"\n{failed}" if failed else "")
            set_text(self.query_one("#kill-report", Static), said)  # each second: only on a change

    def show_sweep(self, sweep: VenuesSwept | None) -> None:
        """Per venue, what its own open-order list said after the kill: the proof, not our memory."""
        if sweep is None:
            return
        head = "venues confirm: nothing open" if sweep.clean else "venues NOT all confirmed:"
        rows = "\n".join(f"  {v}: {why}" for v, why in sweep.venues)
        box = self.query_one("#kill-sweep", Static)
        box.display = True
        box.update(f"{head}\n{rows}")
