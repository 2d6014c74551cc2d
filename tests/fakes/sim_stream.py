"""`tranche sim serve` with its WebSocket side, and the real ccxt.pro binance client pointed at it.

The server is the one `tranche sim serve` runs (engine/sim/server), on a free loopback port, with
the market at 20x wall time so books change every 25 ms; the client is ccxt.pro's own binance
class with only its urls moved to loopback (engine/brokers/ccxt/exchange.make_exchange)."""

from __future__ import annotations

import json

import aiohttp
import pytest

from engine.brokers.ccxt.exchange import make_exchange
from engine.config import Settings, VenueConfig
from engine.sim.server.app import build_server, start_site, stop_server
from engine.sim.server.faults import admin_query
from tests.fakes.sim_server import KEY, SECRET  # one key pair: assert_exact reads the venue with it


@pytest.fixture
async def served():
    """The simulated venues SIM-A and SIM-B, REST and WebSocket, at 20x speed."""
    base = Settings()
    settings = base.model_copy(
        update={"sim": base.sim.model_copy(update={"venues": 2, "symbols": ["BTCUSDT"]})}
    )
    server = await build_server(settings, speed=20.0, api_key=KEY, api_secret=SECRET)
    runner, url = await start_site(server, "127.0.0.1", 0)
    server.url = url  # type: ignore[attr-defined]
    yield server
    await stop_server(server, runner)


def venue_config(server, venue: str = "SIM-A", **extra) -> VenueConfig:
    return VenueConfig(
        name=venue,
        exchange="binance",
        api_key_env="K",
        secret_env="S",
        base_url=f"{server.url}/{venue}",
        rate_limit=False,
        symbols=["BTCUSDT"],
        **extra,
    )


@pytest.fixture
async def pro(served):
    """ccxt.pro's binance client on SIM-A, markets loaded."""
    ex = make_exchange(venue_config(served), {"apiKey": KEY, "secret": SECRET}, streaming=True)
    await ex.load_markets()
    yield ex
    await ex.close()


async def fault(server, body: dict) -> dict:
    """A signed admin call that injects a fault (REST or WebSocket)."""
    text = json.dumps(body)
    url = f"{server.url}/_sim/fault?{admin_query(SECRET, text)}"
    headers = {"X-MBX-APIKEY": KEY, "Content-Type": "application/json"}
    async with aiohttp.ClientSession() as s, s.post(url, data=text, headers=headers) as r:
        return await r.json()


async def rest_depth(server, venue: str = "SIM-A") -> dict:
    url = f"{server.url}/{venue}/api/v3/depth?symbol=BTCUSDT&limit=20"
    async with aiohttp.ClientSession() as s, s.get(url) as r:
        return await r.json()


@pytest.fixture
async def streaming_engine(served, tmp_path):
    """An engine on SIM-A and SIM-B through streaming ccxt brokers; IOC children wait 0.5 s."""
    from engine.brokers.ccxt.broker import CcxtBroker
    from engine.clock import LiveClock
    from engine.engine import Engine
    from engine.store import Store

    s = Settings()
    s = s.model_copy(
        update={
            "router": s.router.model_copy(
                update={"twap_num_slices": 3, "twap_interval_seconds": 0.2}
            ),
            "execution": s.execution.model_copy(update={"ioc_wait_s": 0.5}),
        }
    )
    brokers = {
        v: CcxtBroker(
            venue_config(served, v, poll_interval_s=0.1, reconcile_interval_s=0.2),
            environ={"K": KEY, "S": SECRET},
            clock=LiveClock(),
            backoff_s=0.05,
        )
        for v in ("SIM-A", "SIM-B")
    }
    eng = Engine(s, LiveClock(), brokers, Store(tmp_path / "f.db"))
    await eng.start()
    yield eng
    await eng.stop()
