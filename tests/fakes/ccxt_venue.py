"""Wiring a real CcxtBroker to a loopback exchange fake: config, environment, fast retries."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from engine.brokers.ccxt.broker import CcxtBroker
from engine.config import VenueConfig
from tests.fakes.http_venue import LoopbackVenue


class RecordingSleep:
    """Stands in for the clock's sleep in backoff: records the delays, returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def venue_config(fake: LoopbackVenue, exchange: str, **overrides: Any) -> VenueConfig:
    up = exchange.upper()
    fields: dict[str, Any] = {
        "name": exchange,
        "exchange": exchange,
        "api_key_env": f"{up}_KEY",
        "secret_env": f"{up}_SECRET",
        "base_url": fake.base_url,
        "timeout_ms": 300,
        "rate_limit": False,
    }
    fields.update(overrides)
    return VenueConfig(**fields)


@asynccontextmanager
async def connected(
    fake: LoopbackVenue,
    exchange: str,
    api_key: str,
    secret: str,
    *,
    connect: bool = True,
    password: str = "",
    **overrides: Any,
) -> AsyncIterator[tuple[CcxtBroker, RecordingSleep]]:
    """A broker on `fake`, polling off (tests call `broker.fills.poll()`), backoff recorded not
    slept; `password`: the API passphrase some exchanges also sign with (OKX)."""
    up = exchange.upper()
    sleep = RecordingSleep()
    environ = {f"{up}_KEY": api_key, f"{up}_SECRET": secret}
    if password:
        environ[f"{up}_PASSWORD"] = password
        overrides.setdefault("password_env", f"{up}_PASSWORD")
    broker = CcxtBroker(
        venue_config(fake, exchange, **overrides),
        environ=environ,
        sleep=sleep,
        poll_interval_s=0,
        backoff_s=0.01,
    )
    try:
        if connect:
            await broker.connect()
        yield broker, sleep
    finally:
        await broker.close()
