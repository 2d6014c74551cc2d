"""The header line: venue connection states, the trading state and the engine's clock."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.text import Text
from textual.widgets import Static

from engine.models import TradingState


class StatusBar(Static):
    """Always on screen; colours come from CSS classes, so themes stay in .tcss."""

    def show(
        self,
        venues: dict[str, bool],
        trading_state: TradingState,
        now: float,
        simulated: bool,
        dead_men: dict[str, str] | None = None,
        message: str = "",
    ) -> None:
        """`dead_men`: per venue, its venue-side dead-man switch ('armed 60 s'; '' when none);
        `message`: what a state other than ACTIVE means, said first (widgets/state_message.py)."""
        text = Text()
        text.append(" TRANCHE ", style="bold reverse")
        text.append("  ")
        if message:
            text.append(message, style="bold")
            text.append("  ")
        if not venues:
            text.append("venues: none yet", style="dim")
        for name, ok in venues.items():
            text.append("● " if ok else "○ ", style="bold" if ok else "dim")
            text.append(f"{name} ", style="" if ok else "strike dim")
            armed = (dead_men or {}).get(name, "")
            if armed:  # the venue cancels our orders by itself if this console dies
                text.append(
                    f"[dead-man {armed.removeprefix('armed ')}] "
                    if armed.startswith("armed")
                    else "[dead-man OFF] ",
                    style="bold" if armed.startswith("armed") else "reverse",
                )
        text.append("  state ")
        text.append(f" {trading_state.value.upper()} ", style="bold reverse")
        stamp = (
            datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%d %H:%M:%S") if now else "--:--:--"
        )
        text.append(f"  {stamp} UTC{' (sim)' if simulated else ''}")
        for s in TradingState:
            self.set_class(s is trading_state, f"-{s.value}")
        # one line whatever it says (#status height: 1): no re-layout of the screen per clock tick,
        # which stalled every pane's repaint (issue 15, console ingest p99)
        self.update(text, layout=False)
