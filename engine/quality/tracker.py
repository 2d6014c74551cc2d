"""Per-fill metrics as fills arrive: recorded in the store (batched) and alerts raised past thresholds."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from decimal import Decimal

from engine.clock import Clock
from engine.config import QualityConfig
from engine.events import AlertRaised, Event
from engine.models import Fill
from engine.quality.metrics import FillMetrics, ParentMetrics, fill_metrics
from engine.quality.sinks import MetricsSink


class QualityTracker:
    """Measures every fill, stores it off the hot path, and alerts when a threshold is exceeded."""

    def __init__(
        self,
        cfg: QualityConfig,
        store: MetricsSink | None,
        publish: Callable[[Event], None],
        clock: Clock,
        *,
        keep_alerts: int = 500,
    ) -> None:
        self.cfg = cfg
        self.store = store
        self.publish = publish
        self.clock = clock
        self.alerts: deque[AlertRaised] = deque(maxlen=keep_alerts)  # recent ones, for the console

    def on_fill(
        self,
        fill: Fill,
        *,
        parent_id: str,
        algo: str,
        limit_price: Decimal | None,
        arrival_price: Decimal,
        signal_ts: float,
    ) -> FillMetrics:
        """Metrics of `fill`, recorded; a slippage or latency strictly above its threshold alerts."""
        m = fill_metrics(
            side=fill.side,
            fill_price=fill.price,
            limit_price=limit_price,
            arrival_price=arrival_price,
            signal_ts=signal_ts,
            fill_ts=fill.ts,
            fee=fill.fee,
            quantity=fill.quantity,
        )
        if self.store is not None:
            self.store.record_fill(fill, parent_id=parent_id, algo=algo, metrics=m)
        where = f"{fill.venue} {fill.symbol} {fill.side.value} {fill.quantity} @ {fill.price}"
        if m.slippage_bps > self.cfg.slippage_alert_bps:
            self.alert(
                "slippage",
                f"slippage {m.slippage_bps:.2f} bps > {self.cfg.slippage_alert_bps:g} bps: {where}",
                m.slippage_bps,
                self.cfg.slippage_alert_bps,
                venue=fill.venue,
                symbol=fill.symbol,
            )
        if m.fill_latency_ms > self.cfg.latency_alert_ms:
            self.alert(
                "latency",
                f"fill latency {m.fill_latency_ms:.0f} ms > {self.cfg.latency_alert_ms:g} ms: {where}",
                m.fill_latency_ms,
                self.cfg.latency_alert_ms,
                venue=fill.venue,
                symbol=fill.symbol,
            )
        return m

    def on_parent(self, parent_id: str, metrics: ParentMetrics) -> None:
        """MetricsSink a finished parent's metrics."""
        if self.store is not None:
            self.store.record_parent_metrics(parent_id, metrics)

    def raise_guardrail_alert(
        self, *, message: str, value: float, threshold: float, venue: str = "", symbol: str = ""
    ) -> AlertRaised:
        """The adaptive TWAP's guardrail tripped (adaptive worse than baseline by `value` bps)."""
        return self.alert("guardrail", message, value, threshold, venue=venue, symbol=symbol)

    def alert(
        self,
        kind: str,
        message: str,
        value: float,
        threshold: float,
        *,
        venue: str = "",
        symbol: str = "",
    ) -> AlertRaised:
        """One alert: an event for the console, a stored record, and a place in the recent list."""
        ts = self.clock.now()
        ev = AlertRaised(ts, kind, message, value, threshold, venue, symbol)
        self.alerts.append(ev)
        if self.store is not None:
            self.store.record_alert(
                ts=ts,
                kind=kind,
                message=message,
                value=value,
                threshold=threshold,
                venue=venue,
                symbol=symbol,
            )
        self.publish(ev)
        return ev
