"""Issue 14 item 9: an unknown ticket symbol is said once, under the field, not as repeated toasts."""

from __future__ import annotations

import asyncio

from tests.console.conftest import make_console, pane_text, settle, started, type_into


async def test_an_unknown_symbol_is_one_message_naming_the_known_ones(tmp_path) -> None:
    app = make_console(tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await started(app, pilot)
        await type_into(pilot, "#symbol", "ZZZZ")
        await settle(app, pilot)
        for _ in range(3):  # the tables refresh every second: the message must not pile up
            await asyncio.sleep(1.0)
            await settle(app, pilot)
        ticket = " ".join(pane_text(app, "#ticket-errors").split())
        assert ticket.count("'ZZZZ'") == 2, ticket  # the question and one reason for all venues
        assert "AAPL" in ticket and "V0, V1, V2, V3" in ticket
        toasts = [n.message for n in app.toasts if "ZZZZ" in str(n.message)]
        assert toasts == [], toasts
        errors = [m for _, level, m in app.state.logs if level == "error" and "ZZZZ" in m]
        assert errors == [], errors
