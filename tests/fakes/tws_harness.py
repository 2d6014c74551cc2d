"""Pytest fixtures for IBKR adapter tests: a loopback TWS, adapters wired to it, decoder-error guard."""

from __future__ import annotations

import itertools
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from engine.brokers.base import OrderUpdate
from engine.brokers.ibkr.broker import IBKRBroker
from engine.config import BrokerConfig
from tests.fakes.tws_server import FakeTWS

_client_ids = itertools.count(100, 10)  # each adapter takes base +0..+2; tests never share ids


def ibkr_config(
    port: int, *, client_id: int | None = None, timeout_s: float = 2.0, **extra: Any
) -> BrokerConfig:
    base = next(_client_ids) if client_id is None else client_id
    return BrokerConfig(
        provider="ibkr",
        ibkr_host="127.0.0.1",
        ibkr_port=port,
        ibkr_client_id=base,
        ibkr_timeout_s=timeout_s,
        **extra,
    )


@pytest.fixture
async def tws() -> AsyncIterator[FakeTWS]:
    server = await FakeTWS().start()
    yield server
    await server.close()


@pytest.fixture
async def make_ibkr(tws: FakeTWS) -> AsyncIterator[Callable[..., Any]]:
    """Build (and later close) adapters against the loopback TWS; each records its pushed updates."""
    made: list[IBKRBroker] = []

    async def make(*, connect: bool = True, **kwargs: Any) -> IBKRBroker:
        cfg_keys = {k: kwargs.pop(k) for k in list(kwargs) if k in ("client_id", "timeout_s")}
        if "global_cancel" in kwargs:  # broker.ibkr_global_cancel: the trader's opt-in
            cfg_keys["ibkr_global_cancel"] = kwargs.pop("global_cancel")
        broker = IBKRBroker(ibkr_config(tws.port, **cfg_keys), **kwargs)
        broker.updates = []  # type: ignore[attr-defined]
        broker.on_update(broker.updates.append)  # type: ignore[attr-defined]
        made.append(broker)
        if connect:
            await broker.connect()
        return broker

    yield make
    for b in made:
        await b.close()


@pytest.fixture(autouse=True)
def no_decoder_errors(caplog: pytest.LogCaptureFixture) -> Any:
    """Fail a test if ib-async could not decode a message the fake sent (it only logs those)."""
    caplog.set_level(logging.INFO, logger="ib_async")
    yield
    bad = [
        r.getMessage()
        for r in caplog.records
        if r.name == "ib_async.Decoder"
        or "Error handling fields" in r.getMessage()
        or "No order found" in r.getMessage()
    ]
    assert not bad, f"ib-async could not decode the fake's messages: {bad}"


def updates_of(broker: IBKRBroker) -> list[OrderUpdate]:
    return list(broker.updates)  # type: ignore[attr-defined]


async def eventually(condition: Callable[[], bool], timeout: float = 2.0) -> None:
    """Wait for loopback messages to land: poll `condition` until true or fail after `timeout`."""
    import asyncio

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not met within the timeout")
        await asyncio.sleep(0.002)
