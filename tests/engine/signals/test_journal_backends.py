"""The signal journal on both store backends: an id is claimed once, across engines and restarts."""

from __future__ import annotations

import pytest

from engine.config import Settings
from engine.factory import build_engine
from engine.signals.desk import SignalDesk
from engine.signals.events import SignalStatus as S
from tests.fakes.histories import fresh_history, read_elsewhere
from tests.fakes.paper_venues import paper_venues
from tests.fakes.signals import signal_json


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
async def test_an_id_runs_once_across_a_restart_on_either_backend(kind, tmp_path, clock, request):
    pg_url = request.getfixturevalue("pg_url") if kind == "postgresql" else None
    settings = Settings(
        signals={"mode": "auto", "auto_symbols": ["AAPL"], "auto_max_notional": 10**8}
    )
    async with fresh_history(kind, tmp_path, pg_url) as url:
        outcomes = []
        for _ in range(2):  # the second engine is the restart, on the same history
            eng = build_engine(settings, clock=clock, db_path=url, brokers=paper_venues(clock))
            await eng.start()
            desk = SignalDesk(eng, settings.signals)
            await desk.start()
            outcomes.append(await desk.receive(signal_json("j-1", clock.now()), "redis"))
            await desk.stop()
            await eng.stop()
        assert [o.status for o in outcomes] == [S.EXECUTED, S.DUPLICATE]
        rows = await read_elsewhere(
            url, "SELECT status, parent_id FROM signals WHERE signal_id = ?", ("j-1",)
        )
        assert rows == [("executed", outcomes[0].parent_id)]
