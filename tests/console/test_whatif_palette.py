"""The console's what-if of the last finished parent (command palette), on the two Binance excerpts."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from textual.widgets import DataTable, Static

from console.app import create_app
from console.screens.whatif import WhatIfModal
from engine.clock import SimClock
from engine.config import load_settings
from engine.factory import build_engine
from engine.models import Side, Signal, Ticket
from engine.sim.replay import replay_start
from engine.sim.replay.session import with_replay
from tests.console.conftest import settle
from tests.console.test_cli_exec_replay import SPOT, USDM


async def test_whatif_of_the_last_finished_parent_shows_each_algorithm(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        f"router:\n  twap_num_slices: 2\n  twap_interval_seconds: 3\nreplay:\n  cache_dir: {tmp_path}\n"
    )
    settings = with_replay(load_settings(str(cfg)), f"{SPOT},{USDM}", "+2")
    engine = build_engine(
        settings, clock=SimClock(start=replay_start(settings)), db_path=tmp_path / "h.db"
    )
    app = create_app(settings, engine=engine)
    app.whatif_algos = "twap"
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(app, pilot, ("engine",))
        pid = await engine.submit(
            Ticket("BTCUSDT", Side.BUY, Decimal("0.1"), Signal(0.5), algo="market")
        )
        await engine.wait(pid)
        await app.run_action("whatif_last")
        await pilot.pause()
        assert isinstance(app.screen, WhatIfModal) and app.screen.parent_id == pid
        await settle(app, pilot, ("whatif",))
        table = app.screen.query_one("#whatif-table", DataTable)
        rows = [table.get_row_at(i) for i in range(table.row_count)]
        assert [(r[0], r[4]) for r in rows] == [("market", "(itself)"), ("twap", rows[1][4])]
        bars = str(app.screen.query_one("#whatif-bars", Static).render())
        assert all(f"{r[0]:<13}█" in bars for r in rows)
        await pilot.press("escape")
        assert not isinstance(app.screen, WhatIfModal)


async def test_whatif_outside_a_replay_session_says_how_to_get_one(
    console_app, tmp_path: Path
) -> None:
    async with console_app.run_test(size=(160, 45)) as pilot:
        await pilot.pause()
        await console_app.run_action("whatif_last")
        await pilot.pause()
        assert not isinstance(console_app.screen, WhatIfModal)
        assert any(
            "tranche whatif PARENT_ID --replay" in str(n.message) for n in console_app.toasts
        )
