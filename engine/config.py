"""One typed, strict configuration: packaged defaults, then a user YAML file, then TRANCHE_* env."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import yaml
from platformdirs import user_data_dir
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

ENV_PREFIX = "TRANCHE_"


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


class BrokerConfig(Section):
    provider: Literal["simulated", "paper", "ccxt", "ibkr"] = Field(
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
    venues: list[VenueConfig] = Field(default_factory=list, description="CCXT venues.")
    probe_timeout_s: float = Field(2.0, gt=0, description="Top-of-book probe timeout per venue.")
    submit_timeout_s: float = Field(
        30.0,
        gt=0,
        description="A venue silent this long after an order is asked what became of it (wall seconds).",
    )


class ExecutionConfig(Section):
    default_order_type: Literal["market", "limit", "twap"] = Field("limit")
    limit_offset_pct: float = Field(
        0.05, ge=0, description="Limit price offset from the touch, in %."
    )
    max_slippage_pct: float = Field(
        0.10, ge=0, description="Slippage allowance for market orders, in %."
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

    def resolved_path(self) -> Path:
        return (
            Path(self.path).expanduser()
            if self.path
            else Path(user_data_dir("tranche")) / "fills.db"
        )


class SimConfig(Section):
    venues: int = Field(4, gt=0, le=16, description="Simulated venues of one synthetic market.")
    symbols: list[str] = Field(default_factory=lambda: ["AAPL", "MSFT", "GOOG", "BTCUSDT"])
    seed: int = Field(7)
    params_path: str = Field(
        "", description="Calibrated market parameters; empty = packaged defaults."
    )
    speed: float = Field(1.0, gt=0, description="Live clock speed factor in the console.")
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
    keymap: dict[str, str] = Field(
        default_factory=dict,
        description="Binding id -> keys (comma-separated), e.g. tranche.kill: ctrl+x; ids are on the help screen (?).",
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


class ConfigError(ValueError):
    """A configuration problem, already phrased as `source: key.path: what was wrong`."""


def _describe(err: Any) -> str:
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        return "unknown key"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "expected an integer"
    if kind in ("float_parsing", "float_type", "decimal_parsing", "decimal_type"):
        return "expected a number"
    if kind in ("bool_parsing", "bool_type"):
        return "expected true or false"
    if kind == "greater_than":
        return f"expected a number > {ctx.get('gt')}"
    if kind == "greater_than_equal":
        return f"expected a number >= {ctx.get('ge')}"
    if kind == "less_than":
        return f"expected a number < {ctx.get('lt')}"
    if kind == "less_than_equal":
        return f"expected a number <= {ctx.get('le')}"
    if kind == "literal_error":
        return f"expected one of {ctx.get('expected')}"
    if kind in ("dict_type", "model_type"):
        return "expected a mapping"
    return str(err.get("msg", "invalid value"))


def _is_positive_int_field(loc: tuple[Any, ...]) -> bool:
    model: Any = Settings
    for part in loc:
        fields = getattr(model, "model_fields", None)
        if not fields or part not in fields:
            return False
        info = fields[part]
        model = info.annotation
    ann = info.annotation
    return ann is int and any(getattr(m, "gt", None) == 0 for m in info.metadata)


def format_errors(source: str, exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        path = ".".join(str(p) for p in loc)
        what = _describe(err)
        if err["type"] in ("int_parsing", "int_type", "greater_than") and _is_positive_int_field(
            loc
        ):
            what = "expected a positive integer"
        got = "" if err["type"] == "extra_forbidden" else f", got {err.get('input')!r}"
        lines.append(f"{source}: {path}: {what}{got}")
    return "\n".join(lines)


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"{path}: cannot read: {e.strerror or e}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{path}:{where}: not valid YAML: {getattr(e, 'problem', e)}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of sections at the top level")
    return data


def _env_overrides(environ: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, raw in environ.items():
        if not key.startswith(ENV_PREFIX) or "__" not in key:
            continue
        parts = key[len(ENV_PREFIX) :].lower().split("__")
        try:
            value = yaml.safe_load(raw) if raw != "" else ""
        except yaml.YAMLError:
            value = raw
        node = out
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = value
    return out


def validate_layers(layers: list[tuple[str, dict[str, Any]]]) -> Settings:
    """Merge layers in order, validating each so an error names the layer that caused it."""
    merged: dict[str, Any] = {}
    for source, data in layers:
        merged = _merge(merged, data)
        try:
            Settings.model_validate(merged)
        except ValidationError as e:
            raise ConfigError(format_errors(source, e)) from None
    return Settings.model_validate(merged)


def load_settings(
    path: str | Path | None = None, environ: dict[str, str] | None = None
) -> Settings:
    """The effective settings: defaults, then `path` (or $TRANCHE_CONFIG), then TRANCHE_* env."""
    env = dict(os.environ if environ is None else environ)
    layers: list[tuple[str, dict[str, Any]]] = []
    user = path or env.get("TRANCHE_CONFIG")
    if user:
        p = Path(user)
        layers.append((p.name, _read_yaml(p)))
    overrides = _env_overrides(env)
    if overrides:
        layers.append(("environment", overrides))
    return validate_layers(layers)


def masked_dump(settings: Settings) -> dict[str, Any]:
    """Settings as JSON-ready data, with every secret masked."""
    data = settings.model_dump(mode="json")

    def mask(node: Any) -> Any:
        if isinstance(node, dict):
            return {
                k: ("**********" if isinstance(v, str) and _secretish(k) and v else mask(v))
                for k, v in node.items()
            }
        if isinstance(node, list):
            return [mask(v) for v in node]
        return node

    return mask(data)


def _secretish(key: str) -> bool:
    k = key.lower()
    return k.endswith(("secret", "password", "api_key", "token")) and not k.endswith("_env")


__all__ = ["ConfigError", "Settings", "SecretStr", "load_settings", "masked_dump", "VenueConfig"]
