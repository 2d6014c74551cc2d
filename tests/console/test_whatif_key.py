"""The what-if key (w) on the Execution progress table: the selected finished parent, as a table and bars."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

from rich.console import Console
from textual.widgets import DataTable, Static

from console.app import TrancheApp, create_app
from console.screens.help import HelpScreen
from console.screens.whatif import WhatIfModal
from engine.clock import SimClock
from engine.config import Settings, load_settings
from engine.factory import build_engine
from engine.models import Side, Signal, Ticket
from engine.sim.replay import replay_start
from engine.sim.replay.session import with_replay
from tests.console.conftest import FrozenClock, make_console, settle, started, until
from tests.console.test_cli_exec_replay import SPOT, USDM
from widgets.execution_progress import ExecutionProgress


def replay_console(tmp_path: Path, keymap: str = "") -> TrancheApp:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        "router:\n  twap_num_slices: 2\n  twap_interval_seconds: 3\n"
        f"replay:\n  cache_dir: {tmp_path}\n"
        + (f"console:\n  keymap: {keymap}\n" if keymap else "")
    )
    settings = with_replay(load_settings(str(cfg)), f"{SPOT},{USDM}", "+2")
    engine = build_engine(
        settings, clock=SimClock(start=replay_start(settings)), db_path=tmp_path / "h.db"
    )
    app = create_app(settings, engine=engine)
    app.whatif_algos = "twap,maker"
    return app


async def select_parent(app: TrancheApp, pilot, parent_id: str) -> ExecutionProgress:
    table = app.screen.query_one("#progress", ExecutionProgress)
    await until(app, pilot, lambda: parent_id in table.row_parents)
    table.focus()
    table.move_cursor(row=table.row_parents.index(parent_id))
    await pilot.pause()
    return table


def toasts(app: TrancheApp) -> str:
    return " | ".join(str(n.message) for n in app.toasts)


async def test_w_on_a_finished_parent_shows_each_algorithms_shortfall_as_table_and_bars(
    tmp_path: Path,
) -> None:
    app = replay_console(tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(app, pilot, ("engine",))
        first = await app.engine.submit(
            Ticket("BTCUSDT", Side.BUY, Decimal("0.1"), Signal(0.5), algo="market")
        )
        await app.engine.wait(first)
        newest = await app.engine.submit(
            Ticket("BTCUSDT", Side.SELL, Decimal("0.05"), Signal(0.5), algo="market")
        )
        await app.engine.wait(newest)
        await select_parent(app, pilot, first)  # not the newest: the one under the cursor
        await pilot.press("w")
        await pilot.pause()
        assert isinstance(app.screen, WhatIfModal) and app.screen.parent_id == first
        await settle(app, pilot, ("whatif",))
        table = app.screen.query_one("#whatif-table", DataTable)
        rows = {
            str(r[0]): [str(c) for c in r] for r in map(table.get_row_at, range(table.row_count))
        }
        body = str(app.screen.query_one("#whatif-body", Static).render())
        assert list(rows) == ["market", "twap", "maker"], body
        assert rows["market"][4] == "(itself)"
        bars = str(app.screen.query_one("#whatif-bars", Static).render())
        for algo, row in rows.items():
            shortfall = float(row[1])  # each shortfall is a number, shown in the bars too
            assert f"{algo:<13}█" in bars and f"{shortfall:+.2f}" in bars
        assert "buy 0.1 BTCUSDT ran market" in body
        await pilot.press("escape")
        assert not isinstance(app.screen, WhatIfModal)


async def test_w_on_a_working_parent_says_it_must_finish_first(tmp_path: Path) -> None:
    app = make_console(tmp_path, clock=FrozenClock(start=1_700_000_000.0))
    async with app.run_test(size=(160, 45)) as pilot:
        await started(app, pilot)
        pid = await app.engine.submit(
            Ticket("AAPL", Side.BUY, Decimal("10"), Signal(0.5), algo="twap")
        )
        await select_parent(app, pilot, pid)
        await pilot.press("w")
        await pilot.pause()
        assert not isinstance(app.screen, WhatIfModal)
        assert f"{pid} is still" in toasts(app) and "needs a finished parent" in toasts(app)


async def test_w_on_a_parent_that_ran_on_no_recording_says_how_to_get_one(tmp_path: Path) -> None:
    app = make_console(tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(app, pilot)
        pid = await app.engine.submit(
            Ticket("AAPL", Side.BUY, Decimal("10"), Signal(0.5), algo="market")
        )
        await app.engine.wait(pid)
        await select_parent(app, pilot, pid)
        await pilot.press("w")
        await pilot.pause()
        assert not isinstance(app.screen, WhatIfModal)
        assert "not on a recording" in toasts(app) and f"tranche whatif {pid} --replay" in toasts(
            app
        )


async def test_w_is_on_the_help_screen_and_the_footer_and_remappable(tmp_path: Path) -> None:
    app = make_console(tmp_path, Settings(console={"keymap": {"progress.whatif": "x"}}))
    async with app.run_test(size=(160, 45)) as pilot:
        await started(app, pilot)
        app.screen.query_one("#progress", ExecutionProgress).focus()
        await pilot.pause()
        shown = {
            k: b.binding.action for k, b in app.screen.active_bindings.items() if b.binding.show
        }
        assert (
            shown.get("x") == "whatif"
        )  # the trader's key, in the footer while the table has focus
        await pilot.press("w")  # the default no longer answers
        await pilot.pause()
        assert "select a parent" not in toasts(app)
        await pilot.press("x")  # no parent yet: says what to do instead of nothing
        await pilot.pause()
        assert "select a parent" in toasts(app)
        await app.run_action("help")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one(Static).content  # the rich Table of every binding
        out = Console(width=200, record=True, file=io.StringIO())
        out.print(table)
        line = next(x for x in out.export_text().splitlines() if "progress.whatif" in x)
        assert "What-if" in line and " x " in line  # the key in force, not the default


async def test_a_whatif_that_fails_says_why_in_its_window(tmp_path: Path) -> None:
    app = replay_console(tmp_path)
    app.whatif_algos = "no-such-algo"
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(app, pilot, ("engine",))
        pid = await app.engine.submit(
            Ticket("BTCUSDT", Side.BUY, Decimal("0.1"), Signal(0.5), algo="market")
        )
        await app.engine.wait(pid)
        await select_parent(app, pilot, pid)
        await pilot.press("w")
        await settle(app, pilot, ("whatif",))
        assert isinstance(app.screen, WhatIfModal)
        body = str(app.screen.query_one("#whatif-body", Static).render())
        assert body.startswith("what-if failed:") and "no-such-algo" in body
        assert app.screen.query_one("#whatif-table", DataTable).row_count == 0
