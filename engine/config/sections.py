"""The trading sections of the configuration: venues, broker, execution, router, algorithms, risk."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Section(BaseModel):
    """Every section is frozen and rejects keys it does not know."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class VenueConfig(Section):
    """One CCXT venue: credentials are named by environment variable, never written here."""

    name: str = Field(description="The venue's name in the engine and the console.")
    exchange: str = Field(description="A ccxt exchange id, e.g. binance, kraken.")
    api_key_env: str = Field("", description="Environment variable holding the API key.")
    secret_env: str = Field("", description="Environment variable holding the API secret.")
    password_env: str = Field("", description="Environment variable holding a passphrase, if any.")
    sandbox: bool = Field(False, description="Use the exchange's testnet.")
    base_url: str | None = Field(None, description="Replace scheme and host of every REST url.")
    options: dict[str, Any] = Field(
        default_factory=dict, description="Passed to the ccxt exchange."
    )
    symbols: list[str] = Field(default_factory=list, description="Symbols to load; empty = all.")
    timeout_ms: int = Field(10_000, gt=0, description="Per-request timeout.")
    cash_currency: str = Field(
        "USDT", description="Balance counted as cash; other balances are positions."
    )
    poll_interval_s: float = Field(
        2.0, gt=0, description="Seconds between polls of the venue's trades for fills."
    )
    rate_limit: bool = Field(
        True, description="Let ccxt pace requests to the exchange's published rate limit."
    )
    stream: bool = Field(
        True, description="Stream books, orders and fills over ccxt.pro where the exchange can."
    )
    stream_stale_s: float = Field(
        5.0, gt=0, description="A streamed book with no update this long is stale: resync."
    )
    reconcile_interval_s: float = Field(
        10.0, gt=0, description="Seconds between REST fill reconciliations while fills stream."
    )
    dead_man_s: float = Field(
        0.0,
        ge=0,
        description="Venue cancels our orders this long after our last heartbeat; 0 = off.",
    )
    dead_man_via: Literal["native", "countdown"] = Field(
        "native",
        description="native: ccxt cancel_all_orders_after where the exchange has it; countdown: "
        "Binance's countdownCancelAll heartbeat (futures; emulated by tranche sim serve).",
    )


class BrokerConfig(Section):
    provider: Literal["simulated", "paper", "ccxt", "ibkr", "replay"] = Field(
        "simulated", description="Where child orders go."
    )
    paper_trading: bool = Field(True, description="Refuse live endpoints unless false.")
    ibkr_host: str = Field("127.0.0.1", description="TWS / IB Gateway host.")
    ibkr_port: int = Field(
        4002, gt=0, lt=65536, description="4002 Gateway paper, 4001 live, 7497/7496 TWS."
    )
    ibkr_client_id: int = Field(1, ge=0, description="Broker connection id; data +1, feed +2.")
    ibkr_account_id: str = Field("", description="IB account; empty = the first managed account.")
    ibkr_timeout_s: float = Field(5.0, gt=0, description="Connect and request timeout.")
    ibkr_backoff_initial_s: float = Field(
        0.5, gt=0, description="First wait before reconnecting to IB; doubles per failed attempt."
    )
    ibkr_backoff_max_s: float = Field(
        30.0, gt=0, description="Longest wait between IB reconnect attempts."
    )
    ibkr_global_cancel: bool = Field(
        False,
        description="Kill switch sends IB's reqGlobalCancel: one request, but it also cancels "
        "orders placed outside Tranche (TWS, other programs). Off: Tranche's orders one by one.",
    )
    venues: list[VenueConfig] = Field(default_factory=list, description="CCXT venues.")
    probe_timeout_s: float = Field(2.0, gt=0, description="Top-of-book probe timeout per venue.")
    submit_timeout_s: float = Field(
        30.0,
        gt=0,
        description="A venue silent this long after an order is asked what became of it (wall seconds).",
    )
    connect_timeout_s: float = Field(
        10.0, gt=0, description="Give up connecting to a venue after this many wall seconds."
    )
    fallback: Literal["none", "paper"] = Field(
        "none",
        description="When no venue connects: none = refuse to start; paper = trade on a PAPER venue.",
    )
    held_settle_s: float = Field(
        30.0,
        gt=0,
        description="A finished parent waits this long for fills a venue executed but has not reported.",
    )


class ExecutionConfig(Section):
    default_order_type: Literal["market", "limit", "twap"] = Field("limit")
    limit_offset_pct: float = Field(
        0.05, ge=0, description="Limit price offset from the touch, in %."
    )
    max_slippage_pct: float = Field(
        0.10, ge=0, description="Slippage allowance for market orders, in %."
    )
    ioc_wait_s: float = Field(
        5.0, gt=0, description="How long a crossing IOC order is waited for before it is cancelled."
    )
    position_sizing: Literal["half_kelly", "fixed", "percent_equity"] = Field("half_kelly")
    fixed_quantity: Decimal = Field(Decimal("100"), gt=0, description="Quantity in 'fixed' mode.")
    percent_equity: float = Field(
        2.0, gt=0, le=100, description="Notional as % of equity in 'percent_equity' mode."
    )
    max_position_pct: float = Field(
        5.0, gt=0, le=100, description="Cap on a position's notional, % of equity."
    )
    stop_loss_pct: float = Field(2.0, gt=0, lt=100, description="Stop distance from entry, in %.")
    complete_with_cross: bool = Field(
        True, description="Last slice crosses the spread to finish the parent."
    )


class RouterConfig(Section):
    size_threshold_small_pct: float = Field(
        0.1, ge=0, description="Below this % of ADV: passive limit."
    )
    size_threshold_large_pct: float = Field(1.0, ge=0, description="Above this % of ADV: TWAP.")
    twap_num_slices: int = Field(5, gt=0, description="TWAP slices.")
    twap_interval_seconds: float = Field(60.0, gt=0, description="Seconds between TWAP slices.")
    wide_spread_threshold_bps: float = Field(
        20.0, gt=0, description="Above this spread: limit at mid."
    )
    market_strength_threshold: float = Field(
        0.9, ge=0, le=1, description="Above this strength: market."
    )
    default_adv: Decimal = Field(
        Decimal("1000000"), gt=0, description="ADV used when the venue gives none."
    )
    sor_min_notional: Decimal = Field(
        Decimal("5000"), ge=0, description="Split across venues above this."
    )
    sor_max_price_worse_bps: float = Field(
        8.0, ge=0, description="Drop venues worse than the best by more."
    )
    sor_min_leg_notional: Decimal = Field(
        Decimal("500"), ge=0, description="Smaller legs go to the best leg."
    )
    sor_max_legs: int = Field(4, gt=0, description="At most this many venue legs.")
    allocator: Literal["spread", "cost"] = Field(
        "spread",
        description="How legs are sized: spread = by 1/spread; cost = least expected cost from depth, fees and learned slippage.",
    )
    sor_sync_arrival: bool = Field(
        True,
        description="Hold each leg's child so all of a slice's children reach their venues together (quotes fade once a print is seen).",
    )
    sor_sync_max_hold_ms: float = Field(
        25.0,
        ge=0,
        description="Wait only for venues at most this much slower than the fastest leg's; slower ones are not waited for.",
    )
    static_slippage_bps: float = Field(
        8.0, ge=0, description="Expected slippage of a venue with no history."
    )
    lookback_days: int = Field(30, gt=0, description="Fill history window for learned figures.")
    estimate_vol_daily: float = Field(
        0.02, gt=0, description="Pre-trade estimate: daily volatility where the venue gives none."
    )
    estimate_impact_y: float = Field(
        0.8,
        ge=0,
        description="Pre-trade estimate: square-root impact prefactor Y where the venue gives none.",
    )
    estimate_taker_fee_bps: float = Field(
        1.0, description="Pre-trade estimate: taker fee, bps, where the venue gives none."
    )
    estimate_min_fills: int = Field(
        20,
        gt=0,
        description="Pre-trade estimate: own fills on a venue before its learned slippage replaces the model.",
    )
    large_order_algo: Literal["twap", "vwap", "pov", "arrival"] = Field(
        "twap", description="What the large_vs_adv rule (and a TWAP default) runs."
    )
    plan_max_move_bps: float = Field(
        25.0,
        ge=0,
        description="A confirmed plan is sent only if each leg's venue mid moved at most this much since; else the trader is asked again.",
    )


class AlgoConfig(Section):
    maker_timeout_s: float = Field(
        10.0, gt=0, description="Rest at the touch this long before repricing."
    )
    maker_max_reprices: int = Field(
        2, ge=0, description="Reprices (touch -> mid -> cross) per slice."
    )
    maker_post_only: bool = Field(
        True, description="Passive maker children are post-only (never take)."
    )
    adaptive_enabled: bool = Field(True)
    adaptive_fraction: float = Field(
        0.5, ge=0, le=1, description="Share of parents on the adaptive path."
    )
    adaptive_min_samples: int = Field(
        5, gt=0, description="Fewer fills in a bucket: static defaults."
    )
    adaptive_size_edges: tuple[float, float] = Field(
        (10_000.0, 100_000.0), description="Notional small|mid|large edges."
    )
    adaptive_min_slices: int = Field(2, gt=0)
    adaptive_max_slices: int = Field(20, gt=0)
    adaptive_min_interval_s: float = Field(5.0, gt=0)
    adaptive_max_interval_s: float = Field(300.0, gt=0)
    adaptive_target_bps: float = Field(
        4.0,
        gt=0,
        description="Bucket median slippage the static TWAP suits; above it slice finer and slower.",
    )
    guardrail_margin_bps: float = Field(
        2.0, ge=0, description="Adaptive worse than baseline by this: alert."
    )
    guardrail_min_samples: int = Field(20, gt=0)
    guardrail_auto_disable: bool = Field(True)
    policy_path: str = Field("", description="Learned policy table; empty = the packaged default.")
    vwap_profile_path: str = Field(
        "",
        description="Trades CSV(s) (timestamp_ms,price,quantity,...; comma-separated paths) the VWAP volume profile is learned from; empty = flat.",
    )
    vwap_bucket_minutes: int = Field(
        15, gt=0, le=1440, description="Time-of-day bucket of the VWAP profile (UTC), minutes."
    )
    vwap_min_trades_per_bucket: int = Field(
        20, ge=0, description="Fewer trades in a bucket the schedule touches: flat profile, warned."
    )
    pov_participation_pct: float = Field(
        10.0, gt=0, le=100, description="POV: target share of the venue's traded volume, %."
    )
    pov_min_child: Decimal = Field(
        Decimal("0"), ge=0, description="POV: smallest child; less is owed, it waits (0 = a lot)."
    )
    pov_max_child: Decimal = Field(
        Decimal("0"), ge=0, description="POV: largest child (0 = no limit)."
    )
    pov_check_s: float = Field(
        5.0, gt=0, description="POV: seconds between reads of the trade feed."
    )
    arrival_max_urgency: float = Field(
        6.0,
        ge=0,
        description="Arrival: urgency (kappa*T) at signal strength 1; strength scales it.",
    )
    arrival_max_participation_pct: float = Field(
        25.0, gt=0, le=100, description="Arrival: cap on the share of traded volume, %."
    )
    iceberg_display_pct: float = Field(
        10.0,
        gt=0,
        le=100,
        description="Iceberg: display quantity as % of the leg, when none given.",
    )
    jitter_pct: float = Field(
        0.0,
        ge=0,
        le=50,
        description="TWAP/VWAP/POV: random +- % of slice size and spacing (seeded by sim.seed on simulated venues); 0 = off.",
    )


class RiskConfig(Section):
    max_child_quantity: Decimal = Field(Decimal("100000"), gt=0)
    max_child_notional: Decimal = Field(Decimal("1000000"), gt=0)
    max_child_share_of_parent: float = Field(
        1.0, gt=0, le=1, description="A child's share of its parent."
    )
    max_price_deviation_bps: float = Field(
        100.0, gt=0, description="Limit price vs best opposite quote."
    )
    max_position_per_symbol: Decimal = Field(Decimal("1000000"), gt=0)
    max_orders_per_second_per_venue: float = Field(20.0, gt=0)
