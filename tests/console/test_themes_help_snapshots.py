"""Themes from config, key and palette; the help screen; snapshots of the main screen."""

from __future__ import annotations

from textual.widgets import Input

from console.app import TrancheApp
from console.bindings import ACTIONS
from engine.config import Settings
from tests.console.conftest import make_console, screen_text, settle, started


async def test_theme_comes_from_config_and_switches_by_key_and_palette(tmp_path) -> None:
    app = make_console(tmp_path, Settings(console={"theme": "tranche-light"}))
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        assert app.theme == "tranche-light"
        light_bg = app.main.query_one("#status").styles.background
        await pilot.press("ctrl+y")
        await pilot.pause()
        assert app.theme == "tranche-dark"
        assert (
            app.main.query_one("#status").styles.background != light_bg
        )  # .tcss follows the theme
        await pilot.press("ctrl+p")
        await pilot.press(*"Theme: tranche-light")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert app.theme == "tranche-light"


async def test_help_screen_lists_every_binding_id(console_app: TrancheApp) -> None:
    app = console_app
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        await pilot.click("#progress")  # focus off the inputs: "?" is then the help key
        await pilot.press("question_mark")
        await pilot.pause()
        text = screen_text(app)
        await pilot.press("end")  # the list scrolls when it is longer than the box
        await pilot.pause()
        text += screen_text(app)
        for a in ACTIONS:
            assert a.id in text
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.main


async def _ready(pilot) -> None:
    app = pilot.app
    app.animation_level = (
        "none"  # a transition caught mid-way on a loaded machine is not a regression
    )
    await app.engine_started.wait()
    await settle(app, pilot)
    app.repaint_all()
    await pilot.pause(0.3)
    for field in app.screen.query(
        Input
    ):  # a blinking cursor is drawn or not depending on the instant
        field.cursor_blink = False
        field._cursor_visible = True  # a toggle queued before the pause may have hidden it
    await pilot.pause()


def test_snapshot_main_screen_dark(snap_compare, tmp_path) -> None:
    assert snap_compare(make_console(tmp_path), terminal_size=(120, 40), run_before=_ready)


def test_snapshot_main_screen_light(snap_compare, tmp_path) -> None:
    app = make_console(tmp_path, Settings(console={"theme": "tranche-light"}))
    assert snap_compare(app, terminal_size=(120, 40), run_before=_ready)


def test_snapshot_compact_80x24_panes_become_tabs(snap_compare, tmp_path) -> None:
    assert snap_compare(make_console(tmp_path), terminal_size=(80, 24), run_before=_ready)


async def test_a_keymap_from_config_rebinds_by_id_and_the_help_screen_shows_it(tmp_path) -> None:
    settings = Settings(console={"keymap": {"tranche.kill": "f6", "tranche.nope": "f5"}})
    app = make_console(tmp_path, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        assert any("unknown binding id(s) tranche.nope" in line for _, _, line in app.state.logs)
        await pilot.click("#progress")
        await pilot.press("question_mark")
        await pilot.pause()
        kill_row = next(line for line in screen_text(app).splitlines() if "tranche.kill" in line)
        assert "f6" in kill_row and "f12" not in kill_row
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("f12")  # the default key no longer kills ...
        await settle(app, pilot)
        assert app.engine.trading_state.value == "active"
        await pilot.press("f6")  # ... the trader's key does
        await settle(app, pilot)
        assert app.engine.trading_state.value == "halted"
