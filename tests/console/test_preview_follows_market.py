"""The preview is live: when the market moves and the trader types nothing, its quotes follow.

Seen in tmux: after a submit the SOR legs pane kept the quotes of the last keystroke for minutes
while the market moved, and showed them as the venues' bid and ask.
"""

from __future__ import annotations

from decimal import Decimal

from tests.console.conftest import make_console, pane_text, started, until


async def test_the_preview_follows_the_market_without_a_keystroke(tmp_path) -> None:
    app = make_console(tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await started(app, pilot)
        await until(app, pilot, lambda: app.preview is not None and bool(app.preview.legs))
        assert app.preview is not None
        before = {leg.venue: leg.ask for leg in app.preview.legs}
        for venue in app.engine.brokers.values():  # the market moves 1% up; nobody types
            venue.move_mid("AAPL", "1.01")  # type: ignore[attr-defined]

        def moved() -> bool:
            legs = app.preview.legs if app.preview is not None else ()
            return bool(legs) and all(
                leg.ask is not None and leg.ask > before[leg.venue] * Decimal("1.005")
                for leg in legs
            )

        await until(app, pilot, moved, frames=500)  # the one-second refresh, no keystroke
        first = app.preview.legs[0]
        assert first.ask is not None
        assert f"{first.ask:,.2f}" in pane_text(app, "#legs")  # and the pane shows the new ask
