"""Replay venues (broker.provider: replay) and the recording of live market data."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from engine.config.sections import Section


class ReplayVenueConfig(Section):
    """Per-venue overrides; a key left out takes the replay section's value or the data's default."""

    maker_fee_bps: float | None = Field(
        None, description="Maker fee, bps (negative = rebate); empty = the venue kind's schedule."
    )
    taker_fee_bps: float | None = Field(
        None, description="Taker fee, bps; empty = the venue kind's schedule."
    )
    order_latency_ms: float | None = Field(
        None, ge=0, description="One-way order entry latency, ms."
    )
    feed_latency_ms: float | None = Field(None, ge=0, description="Market data latency, ms.")


class ReplayConfig(Section):
    """Recorded files replayed as venues of one simulated clock (one venue per file)."""

    files: list[str] = Field(
        default_factory=list,
        description="Recorded files (Binance captures, LOBSTER message files, replay recordings); each is one venue.",
    )
    names: list[str] = Field(
        default_factory=list,
        description="Venue names in the order of `files`; empty = from the file names (e.g. BINANCE-SPOT).",
    )
    start: str = Field(
        "",
        description="Replay start: ISO time, epoch seconds, or +SECONDS after the files' common start; empty = the common start.",
    )
    queue_model: Literal["risk_averse", "prob"] = Field(
        "risk_averse",
        description="Queue position on L2 data: risk_averse (only prints advance us) or prob (hftbacktest's power model).",
    )
    queue_power: float = Field(
        3.0, gt=0, description="Exponent n of the prob queue model: back^n / (back^n + front^n)."
    )
    refill_s: float = Field(
        5.0,
        ge=0,
        description="Liquidity our fills took from the recorded book comes back with this time constant, s (0 = at once).",
    )
    order_latency_ms: float = Field(
        5.0, ge=0, description="One-way order entry latency (submit and cancel), ms."
    )
    response_latency_ms: float = Field(
        5.0, ge=0, description="Venue answer back to the engine, ms."
    )
    feed_latency_ms: float | None = Field(
        None,
        ge=0,
        description="Market data latency, ms; empty = from the capture's exchange-vs-receive times (Binance), else 0.",
    )
    maker_fee_bps: float | None = Field(
        None,
        description="Maker fee, bps for every replay venue; empty = the venue kind's schedule (Binance spot 10, USD-M 2, NASDAQ -0.2).",
    )
    taker_fee_bps: float | None = Field(
        None,
        description="Taker fee, bps; empty = the venue kind's schedule (Binance spot 10, USD-M 5, NASDAQ 0.3).",
    )
    venues: dict[str, ReplayVenueConfig] = Field(
        default_factory=dict, description="Overrides by venue name."
    )
    cache_dir: str = Field(
        "",
        description="Where parsed recordings are cached by file digest; empty = the user's cache directory.",
    )
    step_s: float = Field(
        0.25,
        gt=0,
        description="On a wall clock (the console) the recording is stepped this often, s.",
    )
    compiled: bool = Field(
        True,
        description="Replay L2 recordings in the compiled loop (numba, the `fast` extra); false, or numba not installed = the Python loop (same fills, slower).",
    )
    impact: bool = Field(
        True,
        description="Our crossing fills move the replayed book by the simulator's square-root impact (false: recorded prices never react to us).",
    )
    impact_y: float | None = Field(
        None, ge=0, description="Impact prefactor Y; empty = the simulator's calibrated impact.y."
    )
    impact_permanent_fraction: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Share of each impact increment that never decays; empty = the calibrated value.",
    )
    impact_temp_half_life_s: float | None = Field(
        None,
        gt=0,
        description="Half-life of the decaying part's net volume, s; empty = the calibrated value.",
    )


class RecordConfig(Section):
    """Recording of every quote the engine receives, in the replay cache's format."""

    enabled: bool = Field(
        False, description="Record quotes (the console turns it on unless --no-record)."
    )
    directory: str = Field(
        "", description="Where recordings go; empty = 'recordings' in the user's data directory."
    )
    max_rows: int = Field(
        200_000, gt=0, description="Rows per recording file before it rotates to a new one."
    )
    max_files: int = Field(
        20, gt=0, description="Recording files kept per venue; the oldest is deleted past this."
    )
