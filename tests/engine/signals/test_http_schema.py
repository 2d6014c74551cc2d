"""Schemathesis against the API's own OpenAPI schema: valid and invalid input, never a 5xx, and every
refusal one JSON object naming the field. A real server on loopback, called over HTTP."""

from __future__ import annotations

import asyncio
import threading

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from engine.clock import LiveClock
from engine.config import Settings, SignalsConfig
from engine.factory import build_engine
from engine.signals.service import SignalService
from tests.fakes.paper_venues import paper_venues

TOKEN = "schema-t0ken-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory):
    """The engine and its API in a thread of their own (schemathesis calls synchronously)."""
    import os

    os.environ["TRANCHE_SCHEMA_TEST_TOKEN"] = TOKEN
    ready, stop = threading.Event(), threading.Event()
    box: dict[str, object] = {}

    async def serve() -> None:
        clock = LiveClock()
        db = tmp_path_factory.mktemp("api") / "fills.db"
        eng = build_engine(Settings(), clock=clock, db_path=db, brokers=paper_venues(clock))
        await eng.start()
        cfg = SignalsConfig(
            http_enabled=True, http_port=0, http_token_env="TRANCHE_SCHEMA_TEST_TOKEN"
        )
        svc = SignalService(eng, cfg)
        await svc.start()
        box["url"] = svc.http.address
        ready.set()
        while not stop.is_set():
            await asyncio.sleep(0.05)
        await svc.stop()
        await eng.stop()

    thread = threading.Thread(target=lambda: asyncio.run(serve()), daemon=True)
    thread.start()
    assert ready.wait(30), "the API did not start"
    schema = schemathesis.openapi.from_url(f"{box['url']}/openapi.json", headers=AUTH)
    schema.config.generation.update(
        modes=[schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE],
        max_examples=10,
    )
    yield schema
    stop.set()
    thread.join(15)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
def test_any_input_gets_an_answer_and_a_refusal_names_its_field(case) -> None:
    response = case.call(headers=AUTH)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"error", "field"} and body["error"].startswith(f"{body['field']}: ")
