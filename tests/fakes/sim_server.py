"""A simulated REST venue on loopback and an engine on it through the real ccxt client: fixtures and
the signed admin calls that inject faults and read the venue's own state."""

from __future__ import annotations

import json
from decimal import Decimal

import aiohttp
import pytest

from engine.brokers.ccxt.broker import CcxtBroker
from engine.clock import LiveClock
from engine.config import Settings, VenueConfig
from engine.engine import Engine
from engine.sim.server.app import build_server, start_site, stop_server
from engine.sim.server.faults import admin_query
from engine.store import Store

KEY, SECRET = "fault-key", "fault-secret-77"
VENUE_STATUS = {"FILLED": "filled", "CANCELED": "cancelled", "EXPIRED": "cancelled"}
VENUES = ("SIM-A", "SIM-B")


@pytest.fixture
async def venue():
    settings = Settings().model_copy(
        update={"sim": Settings().sim.model_copy(update={"venues": 2, "symbols": ["BTCUSDT"]})}
    )
    server = await build_server(settings, speed=1.0, api_key=KEY, api_secret=SECRET)
    server.hang_s = 0.8
    runner, url = await start_site(server, "127.0.0.1", 0)
    server.url = url  # type: ignore[attr-defined]
    yield server
    await stop_server(server, runner)


async def admin(server, path: str, body: dict | None = None):
    """A signed admin call, as the sim server requires."""
    text = json.dumps(body) if body is not None else ""
    url = f"{server.url}{path}?{admin_query(SECRET, text)}"
    async with aiohttp.ClientSession(headers={"X-MBX-APIKEY": KEY}) as s:
        method = (
            s.post(url, data=text, headers={"Content-Type": "application/json"})
            if body is not None
            else s.get(url)
        )
        async with method as r:
            return await r.json()


@pytest.fixture
async def engine(venue, tmp_path):
    s = Settings()
    s = s.model_copy(
        update={
            "router": s.router.model_copy(
                update={"twap_num_slices": 3, "twap_interval_seconds": 0.2}
            ),
            "broker": s.broker.model_copy(update={"probe_timeout_s": 1.0}),
        }
    )
    clock = LiveClock()
    brokers = {
        v: CcxtBroker(
            VenueConfig(
                name=v,
                exchange="binance",
                api_key_env="K",
                secret_env="S",
                base_url=f"{venue.url}/{v}",
                rate_limit=False,
                poll_interval_s=0.1,
                timeout_ms=400,
                symbols=["BTCUSDT"],
            ),
            environ={"K": KEY, "S": SECRET},
            clock=clock,
            backoff_s=0.05,
        )  # fmt: skip
        for v in VENUES
    }
    eng = Engine(s, clock, brokers, Store(tmp_path / "f.db"))
    await eng.start()
    yield eng
    await eng.stop()


async def venue_orders(server, pid: str) -> list[dict]:
    state = await admin(server, "/_sim/state")
    return [
        dict(o, venue=name)
        for name, v in state["venues"].items()
        for o in v["orders"]
        if o["clientOrderId"].startswith(pid)
    ]


async def assert_exact(engine, server, pid: str) -> None:
    """Each client id placed once, the venue's executions equal the engine's, every fill stored once."""
    orders = await venue_orders(server, pid)
    ids = [o["clientOrderId"] for o in orders]
    assert len(ids) == len(set(ids))
    executed = sum(Decimal(o["executedQty"]) for o in orders)
    assert executed == engine.parents[pid].filled_qty
    trades = {(o["venue"], str(t["id"])) for o in orders for t in o["trades"]}
    await engine.store.flush()
    rows = await engine.store.query("SELECT venue, fill_id FROM fills WHERE parent_id = ?", (pid,))
    assert set(rows) == trades and len(rows) == len(trades)
    journal = {
        r[0]: (r[1], Decimal(r[2]))
        for r in await engine.store.query(
            "SELECT client_order_id, status, filled_qty FROM children WHERE parent_id = ?", (pid,)
        )
    }
    for o in orders:  # every child row says what the venue says (issue 20, defect 7)
        status = VENUE_STATUS.get(o["status"], o["status"].lower())
        assert journal[o["clientOrderId"]] == (status, Decimal(o["executedQty"])), o
