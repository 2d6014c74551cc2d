"""The rest of the schema (quality, store, simulator, console, learned policy, recovery) and the whole."""

from __future__ import annotations

import os
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Literal

from platformdirs import user_data_dir
from pydantic import Field, field_validator

from engine.config.replay import RecordConfig, ReplayConfig
from engine.config.sections import (
    AlgoConfig,
    BrokerConfig,
    ExecutionConfig,
    RiskConfig,
    RouterConfig,
    Section,
)
from engine.config.signals import SignalsConfig
from engine.config.store_url import StoreUrlError, has_password, mask_url, parse_store_url


class QualityConfig(Section):
    slippage_alert_bps: float = Field(
        10.0, ge=0, description="Alert when a fill's slippage exceeds this (strictly), bps."
    )
    latency_alert_ms: float = Field(
        5000.0, ge=0, description="Alert when signal-to-fill latency exceeds this (strictly), ms."
    )


class StoreConfig(Section):
    path: str = Field("", description="SQLite file; empty = fills.db in the user's data directory.")
    batch_max: int = Field(500, gt=0, description="Rows per write transaction at most.")
    batch_interval_ms: float = Field(
        50.0, gt=0, description="Flush pending rows at least this often."
    )
    url: str = Field(
        "",
        description="sqlite:///PATH or postgresql://USER@HOST:PORT/DB; empty = the SQLite file at path.",
    )
    password_env: str = Field(
        "", description="Environment variable holding the PostgreSQL password (never in the file)."
    )
    reconnect_s: float = Field(
        10.0,
        gt=0,
        description="How long a lost PostgreSQL connection is retried before a write fails.",
    )

    @field_validator("url")
    @classmethod
    def _no_password_in_url(cls, value: str) -> str:
        if has_password(value):
            raise ValueError(
                f"{mask_url(value)}: a password in the URL is refused; name the environment"
                " variable that holds it in store.password_env"
            )
        try:
            parse_store_url(value) if value else None
        except StoreUrlError as e:
            raise ValueError(str(e)) from None
        return value

    def resolved_path(self) -> Path:
        return (
            Path(self.path).expanduser()
            if self.path
            else Path(user_data_dir("tranche")) / "fills.db"
        )

    def resolved_url(self) -> str:
        """The store's URL: `url`, else the SQLite file (path or the default)."""
        return self.url or f"sqlite:///{self.resolved_path()}"

    def password(self, environ: Mapping[str, str] | None = None) -> str | None:
        """The PostgreSQL password from the environment variable `password_env` names."""
        env = os.environ if environ is None else environ
        return (env.get(self.password_env) or None) if self.password_env else None


class SimConfig(Section):
    venues: int = Field(4, gt=0, le=16, description="Simulated venues of one synthetic market.")
    symbols: list[str] = Field(default_factory=lambda: ["AAPL", "MSFT", "GOOG", "BTCUSDT"])
    seed: int = Field(7)
    params_path: str = Field(
        "", description="Calibrated market parameters; empty = packaged defaults."
    )
    speed: float = Field(
        1.0, gt=0, allow_inf_nan=False, description="Live clock speed factor in the console."
    )
    starting_cash: Decimal = Field(Decimal("1000000"), ge=0)
    step_s: float = Field(
        0.5,
        gt=0,
        le=60,
        description="Time grid of the synthetic market, seconds: smaller is finer and slower.",
    )


class ConsoleConfig(Section):
    theme: str = Field("tranche-dark", description="tranche-dark or tranche-light.")
    refresh_hz: float = Field(20.0, gt=0, le=120, description="Pane repaint rate at most.")
    quote_refresh_hz: float = Field(
        40.0,
        gt=0,
        le=120,
        description="Market pane repaint rate at most: a quote is painted within one such frame.",
    )
    keymap: dict[str, str] = Field(
        default_factory=dict,
        description="Binding id -> keys (comma-separated), e.g. tranche.kill: f6; ids are on the help screen (?).",
    )


class RLConfig(Section):
    """The learned execution policy (engine/rl, engine/algos/policy.py) and its EWMA fallback."""

    decision_step_s: float = Field(
        0.5,
        gt=0,
        le=5,
        description="Market sampling step and shortest wait of the policy; the training grid's spacing.",
    )
    ewma_half_life_s: float = Field(
        60.0, gt=0, description="Half-life of the EWMA of the quoted spread (the expected spread)."
    )
    ewma_wide_factor: float = Field(
        1.5, gt=1, description="Spread above this multiple of its EWMA: the EWMA model waits."
    )
    ewma_retry_s: float = Field(
        1.0, gt=0, description="While the spread is wide, look again after this many seconds."
    )
    horizon_s: float = Field(
        120.0,
        gt=0,
        description="Parent horizon used by training and evaluation when none is given.",
    )
    participation: float = Field(
        0.1,
        gt=0,
        le=1,
        description="Training/evaluation parent size as a share of the market volume over the horizon, when no quantity is given.",
    )
    train_fraction: float = Field(
        0.6,
        gt=0,
        lt=1,
        description="Replayed data: the first part of each file trains, the rest is held out for evaluation.",
    )
    maker_fee_bps: float = Field(
        -0.2, description="Training/evaluation maker fee, bps (negative = rebate)."
    )
    taker_fee_bps: float = Field(0.3, description="Training/evaluation taker fee, bps.")
    time_bonus_bps: float = Field(
        0.1,
        ge=0,
        description="Reward bonus per parent filled, scaled by the time remaining when it fills.",
    )
    ac_kappa_t: float = Field(
        1.0, ge=0, description="Almgren-Chriss urgency kappa*T of the 'ac' arm; 0 = TWAP."
    )
    episodes: int = Field(
        200_000, gt=0, description="Training episodes (parents) when --episodes is not given."
    )


class RecoveryConfig(Section):
    """Crash recovery: what a restarted engine does with the parents and orders its journal says were live."""

    on_start: bool = Field(
        True,
        description="Reconcile the journal with the venues when the engine starts (tranche recover always does).",
    )
    on_restart: Literal["resume", "cancel"] = Field(
        "resume",
        description="Live parents found on restart: resume where the algorithm has time left, or cancel them.",
    )
    cancel_orphans: bool = Field(
        False,
        description="Cancel orders open on a venue that the journal does not know (always reported).",
    )
    resume_grace_s: float = Field(
        60.0,
        ge=0,
        description="A parent whose horizon ended at most this long ago completes per its algorithm (crosses the rest if execution.complete_with_cross); older ones are cancelled.",
    )


class Settings(Section):
    broker: BrokerConfig = Field(default_factory=BrokerConfig)
    execution: ExecutionConfig = Field(default_factory=ExecutionConfig)
    router: RouterConfig = Field(default_factory=RouterConfig)
    algos: AlgoConfig = Field(default_factory=AlgoConfig)
    risk: RiskConfig = Field(default_factory=RiskConfig)
    quality: QualityConfig = Field(default_factory=QualityConfig)
    store: StoreConfig = Field(default_factory=StoreConfig)
    sim: SimConfig = Field(default_factory=SimConfig)
    console: ConsoleConfig = Field(default_factory=ConsoleConfig)
    rl: RLConfig = Field(default_factory=RLConfig)
    recovery: RecoveryConfig = Field(default_factory=RecoveryConfig)
    signals: SignalsConfig = Field(default_factory=SignalsConfig)
    replay: ReplayConfig = Field(default_factory=ReplayConfig)
    record: RecordConfig = Field(default_factory=RecordConfig)
