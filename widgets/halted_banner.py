"""A full-width banner while trading is not ACTIVE, so a halt can never go unnoticed."""

from __future__ import annotations

from textual.widgets import Static

from engine.models import TradingState


class HaltedBanner(Static):
    """Hidden while ACTIVE; `-halted` / `-reducing` classes give it its colours in .tcss."""

    def show(self, state: TradingState, reason: str) -> None:
        self.set_class(state is TradingState.HALTED, "-halted")
        self.set_class(state is TradingState.REDUCING, "-reducing")
        shown = state is not TradingState.ACTIVE
        if self.display != shown:  # setting it again would re-layout the screen every second
            self.display = shown
        if state is TradingState.HALTED:
            self.update(
                f"HALTED: {reason or 'kill switch'} - only cancels are sent. ctrl+r to reset (asks to confirm)."
            )
        elif state is TradingState.REDUCING:
            self.update(f"REDUCING: {reason} - only orders that reduce exposure are sent.")
