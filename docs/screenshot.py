"""Regenerate docs/console.svg: the console on the default simulated venues, one order routed across venues.

.venv/bin/python docs/screenshot.py
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from textual.widgets import Input, Select

from console.app import create_app
from engine.clock import SimClock
from engine.config import Settings
from engine.factory import build_engine

OUT = Path(__file__).with_name("console.svg")


async def main() -> None:
    settings = Settings()
    with tempfile.TemporaryDirectory() as tmp:
        engine = build_engine(
            settings, clock=SimClock(start=1_763_730_000.0), db_path=Path(tmp) / "fills.db"
        )
        app = create_app(settings, engine=engine)
        async with app.run_test(size=(150, 46)) as pilot:
            await app.engine_started.wait()
            await pilot.pause(0.5)
            ticket = app.main
            ticket.query_one("#quantity", Input).value = "12000"
            ticket.query_one("#algo", Select).value = "auto"
            await pilot.pause(1.0)
            await pilot.press("ctrl+s")
            await pilot.pause(0.3)
            await pilot.press("y")
            await pilot.pause(1.5)
            for field in app.screen.query(Input):
                field.cursor_blink = False
            app.repaint_all()
            await pilot.pause(0.3)
            OUT.write_text(app.export_screenshot(title="Tranche"))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    asyncio.run(main())
