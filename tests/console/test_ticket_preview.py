"""The ticket pane: every keystroke asks the engine for a preview; the pane shows the engine's figures."""

from __future__ import annotations

from decimal import Decimal

from console.app import TrancheApp
from engine.models import Side, Signal, Ticket
from tests.console.conftest import pane_text, settle, started, type_into
from widgets.format import figure as fmt


async def test_typing_a_kelly_ticket_shows_the_engines_own_preview(console_app: TrancheApp) -> None:
    app = console_app
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        await pilot.click("#kelly")
        await type_into(pilot, "#win_rate", "0.6")
        await type_into(pilot, "#avg_win", "0.02")
        await type_into(pilot, "#avg_loss", "0.01")
        await settle(app, pilot)

        expected = await app.engine.preview(
            Ticket("AAPL", Side.BUY, Decimal(0), Signal(0.5, 0.6, 0.02, 0.01), size_by_kelly=True)
        )
        assert expected.sizing is not None
        shown = pane_text(app, "#preview")
        assert fmt(expected.sizing.kelly_fraction, 4) in shown
        assert fmt(expected.sizing.half_kelly_fraction, 4) in shown
        assert fmt(expected.sizing.quantity) in shown
        assert fmt(expected.sizing.notional) in shown
        assert expected.route is not None and expected.route.rule in shown  # a sized order routes
        assert app.preview == expected  # the pane holds exactly what the engine answered
        assert app.main.query_one("#submit").disabled is not expected.ok


async def test_every_keystroke_refreshes_the_preview(console_app: TrancheApp) -> None:
    app = console_app
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        await type_into(pilot, "#quantity", "25")
        await settle(app, pilot)
        assert app.preview is not None and app.preview.quantity == Decimal(25)
        await pilot.press("0")
        await settle(app, pilot)
        assert app.preview.quantity == Decimal(250)
        legs = app.preview.legs
        table = app.main.query_one("#legs")
        assert table.row_count == len(legs) and legs


async def test_invalid_ticket_shows_the_error_and_nothing_is_sent(console_app: TrancheApp) -> None:
    app = console_app
    sent: list[Ticket] = []
    real_submit = app.engine.submit

    async def spy(ticket: Ticket, plan=None) -> str:
        sent.append(ticket)
        return await real_submit(ticket, plan)

    app.engine.submit = spy  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        await type_into(pilot, "#quantity", "-5")
        await settle(app, pilot)
        errors = pane_text(app, "#quantity-error")  # under the field, where the trader looks
        assert "quantity" in errors
        assert app.main.query_one("#quantity").has_class("-field-error")
        assert app.main.query_one("#submit").disabled
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        await type_into(pilot, "#quantity", "abc")
        await settle(app, pilot)
        assert "quantity" in pane_text(app, "#quantity-error")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert sent == []
        assert not app.engine.parents


async def test_an_engine_error_is_a_notification_and_a_log_line_not_a_crash(
    console_app: TrancheApp,
) -> None:
    app = console_app

    async def broken_preview(ticket: Ticket, **_: object):
        raise RuntimeError("venue feed exploded")

    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        app.engine.preview = broken_preview  # type: ignore[method-assign]
        await type_into(pilot, "#quantity", "7")
        await settle(app, pilot)
        assert any(
            "venue feed exploded" in msg for _, level, msg in app.state.logs if level == "error"
        )
        assert any("venue feed exploded" in n.message for n in app.toasts)
        assert app.is_running and app.main.query_one("#submit").disabled
