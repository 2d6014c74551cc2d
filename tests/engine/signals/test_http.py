"""The local HTTP API on a real uvicorn server on loopback, driven by a real HTTP client (httpx)."""

from __future__ import annotations

import httpx
import pytest

from engine.config import SignalsConfig
from engine.models import InputError
from engine.signals.service import SignalService
from tests.fakes.signals import signal

TOKEN = "t0ken-for-the-tests-only-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
async def api(make_live_engine, monkeypatch):
    """(service, client): the engine, its signal service and an HTTP client with the token."""
    monkeypatch.setenv("TRANCHE_TEST_API_TOKEN", TOKEN)
    eng = await make_live_engine()
    cfg = SignalsConfig(http_enabled=True, http_port=0, http_token_env="TRANCHE_TEST_API_TOKEN")
    svc = SignalService(eng, cfg)
    await svc.start()
    assert svc.http.address.startswith("http://127.0.0.1:")
    async with httpx.AsyncClient(base_url=svc.http.address, headers=AUTH, timeout=10) as client:
        yield svc, client
    await svc.stop()


async def test_without_the_token_nothing_is_answered(api):
    svc, client = api
    for headers in ({"Authorization": ""}, {"Authorization": "Bearer wrong-token-wrong-token"}):
        r = await client.post("/v1/kill", headers=headers)
        assert r.status_code == 401 and r.json()["field"] == "authorization"
        assert r.headers["www-authenticate"] == "Bearer"
    assert svc.engine.trading_state.value == "active"


async def test_a_signal_is_held_accepted_and_its_orders_fills_and_report_are_readable(api):
    svc, client = api
    r = await client.post("/v1/signals", json=signal("h-1", svc.engine.clock.now()))
    assert r.status_code == 200
    held = r.json()
    assert held["status"] == "held" and held["source"] == "http"
    assert float(held["quantity"]) > 0 and held["decision"].startswith("MARKET")
    assert (await client.get("/v1/status")).json()["held"][0]["signal_id"] == "h-1"
    done = (await client.post("/v1/signals/h-1/accept")).json()
    assert done["status"] == "executed"
    pid = done["parent_id"]
    report = await svc.engine.wait(pid)
    got = (await client.get(f"/v1/parents/{pid}/report")).json()
    assert got["status"] == "filled" and got["filled_qty"] == str(report.filled_qty)
    await svc.engine.store.flush()
    fills = (await client.get("/v1/fills")).json()["fills"]
    assert sum(float(f["quantity"]) for f in fills if f["parent_id"] == pid) == float(
        report.filled_qty
    )
    orders = (await client.get("/v1/orders")).json()["orders"]
    assert {o["parent_id"] for o in orders} == {pid}
    positions = (await client.get("/v1/positions")).json()
    assert positions["trading_state"] == "active" and positions["positions"]
    quality = (await client.get("/v1/report", params={"by": "venue"})).json()
    assert quality["fills"] == len(fills)
    journal = (await client.get("/v1/signals")).json()["signals"]
    assert journal[0]["signal_id"] == "h-1" and journal[0]["status"] == "executed"
    assert "claim" not in journal[0]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"metadata": {"win_rate": 2, "avg_win_pct": 1, "avg_loss_pct": 1}}, "metadata.win_rate"),
        ({"direction": "up"}, "direction"),
        ({"strenght": 1}, "strenght"),
        ({"id": ""}, "id"),
        ({"ts": "yesterday"}, "ts"),
    ],
)
async def test_a_bad_signal_is_refused_naming_the_field(api, change, field):
    svc, client = api
    body = {**signal("bad-1", svc.engine.clock.now()), **change}
    r = await client.post("/v1/signals", json=body)
    assert r.status_code == 422
    assert r.json()["field"] == field and r.json()["error"].startswith(f"{field}: ")


async def test_a_missing_field_and_a_body_that_is_not_json_are_named(api):
    _, client = api
    r = await client.post("/v1/signals", json={"id": "x"})
    assert r.status_code == 422 and r.json()["error"] == "ts: is required"
    r = await client.post(
        "/v1/signals", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert r.status_code == 422 and "not valid JSON" in r.json()["error"]
    r = await client.post("/v1/tickets", json={"symbol": "AAPL", "side": "buy", "quantity": "-5"})
    assert r.status_code == 422 and r.json()["field"] == "quantity"


async def test_the_same_signal_twice_is_a_duplicate_and_kill_halts_then_refuses(api):
    svc, client = api
    body = signal("k-1", svc.engine.clock.now())
    assert (await client.post("/v1/signals", json=body)).json()["status"] == "held"
    again = (await client.post("/v1/signals", json=body)).json()
    assert again["status"] == "duplicate"
    killed = await client.post("/v1/kill")
    assert killed.status_code == 200 and svc.engine.trading_state.value == "halted"
    late = (await client.post("/v1/signals", json=signal("k-2", svc.engine.clock.now()))).json()
    assert late["status"] == "refused" and "HALTED" in late["reason"]
    t = await client.post("/v1/tickets", json={"symbol": "AAPL", "side": "buy", "quantity": 10})
    assert t.status_code == 409 and t.json()["field"] == "trading_state"


async def test_a_ticket_is_sent_and_an_unknown_parent_is_named(api):
    svc, client = api
    r = await client.post(
        "/v1/tickets", json={"symbol": "aapl", "side": "BUY", "quantity": "25", "algo": "market"}
    )
    assert r.status_code == 200
    report = await svc.engine.wait(r.json()["parent_id"])
    assert report.filled_qty == 25
    r = await client.get("/v1/parents/P-nope/report")
    assert r.status_code == 422 and r.json()["field"] == "parent_id"
    r = await client.post(
        "/v1/tickets", json={"symbol": "AAPL", "side": "buy", "quantity": 1, "algo": "magic"}
    )
    assert r.status_code == 422 and r.json()["field"] == "algo"


async def test_the_api_refuses_to_start_without_a_token_or_beyond_loopback_without_tls(
    make_live_engine, monkeypatch
):
    eng = await make_live_engine()
    monkeypatch.delenv("TRANCHE_API_TOKEN", raising=False)
    with pytest.raises(InputError) as e:
        await SignalService(eng, SignalsConfig(http_enabled=True, http_port=0)).start()
    assert e.value.field == "signals.http_token_env"
    monkeypatch.setenv("TRANCHE_API_TOKEN", TOKEN)
    wide = SignalsConfig(http_enabled=True, http_port=0, http_host="0.0.0.0")
    with pytest.raises(InputError) as e:
        await SignalService(eng, wide).start()
    assert e.value.field == "signals.http_host" and "http_tls_cert" in e.value.message
