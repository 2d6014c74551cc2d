"""The signals section: where strategies' signals come in (Redis, local HTTP API) and how they trade."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import Field

from engine.config.sections import Section


class SignalsConfig(Section):
    """Signals in over Redis Streams and the local HTTP API; confirm (default) or auto within limits."""

    mode: Literal["confirm", "auto"] = Field(
        "confirm",
        description="confirm: every signal waits for the trader; auto: executes within the auto_ limits, holds the rest.",
    )
    redis_url: str = Field(
        "",
        description="Redis to read signals from, e.g. redis://127.0.0.1:6379/0; empty = no Redis.",
    )
    redis_password_env: str = Field(
        "",
        description="Environment variable holding the Redis password, if any (never in the URL).",
    )
    stream: str = Field("execution:signals", description="Stream the strategies XADD signals to.")
    group: str = Field("tranche", description="Consumer group of the engine on the signal stream.")
    consumer: str = Field(
        "engine",
        description="Consumer name in the group; keep it stable so a restart re-reads what it had not acknowledged.",
    )
    fills_stream: str = Field("execution:fills", description="Stream the engine XADDs fills to.")
    orders_stream: str = Field(
        "execution:orders", description="Stream the engine XADDs order and signal updates to."
    )
    stream_maxlen: int = Field(
        100_000, gt=0, description="Approximate cap on the length of the streams the engine writes."
    )
    quotes_venues: list[str] = Field(
        default_factory=list,
        description="Venues whose top of book is read from Redis (quotes_key) instead of the venue.",
    )
    quotes_key: str = Field(
        "market:quotes:{symbol}",
        description="Hash a venue in quotes_venues reads its quote from ({symbol} is replaced).",
    )
    max_age_s: float = Field(
        30.0, gt=0, description="A signal older than this (by its ts) is refused as stale."
    )
    auto_max_notional: Decimal = Field(
        Decimal("10000"),
        ge=0,
        description="Auto mode: a signal above this notional is held for confirmation.",
    )
    auto_max_per_minute: int = Field(
        10, ge=0, description="Auto mode: signals executed per minute at most; more are held."
    )
    auto_symbols: list[str] = Field(
        default_factory=list,
        description="Auto mode: symbols that may execute without confirmation; empty = none (everything is held).",
    )
    http_enabled: bool = Field(False, description="Serve the local HTTP API.")
    http_host: str = Field(
        "127.0.0.1",
        description="Address the HTTP API binds; beyond loopback it needs TLS and a token.",
    )
    http_port: int = Field(
        8765, ge=0, lt=65536, description="Port of the HTTP API; 0 = any free port."
    )
    http_token_env: str = Field(
        "TRANCHE_API_TOKEN", description="Environment variable holding the API's bearer token."
    )
    http_tls_cert: str = Field("", description="TLS certificate file (PEM) for the HTTP API.")
    http_tls_key: str = Field("", description="TLS private key file (PEM) for the HTTP API.")

    @property
    def enabled(self) -> bool:
        """Signals can arrive: the console shows its signals pane."""
        return bool(self.redis_url) or self.http_enabled
