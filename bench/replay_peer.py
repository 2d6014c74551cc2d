"""The hftbacktest side of bench.replay_throughput: the same rows, the same quoting strategy, its own engine.

Our parsed recording is handed to hftbacktest as its event array (depth and trade events at the
same times, feed latency 0), so both replay exactly the same events. The strategy, written the
way hftbacktest's examples write it (numba), keeps one post-only buy at the best bid and one
sell at the best ask, re-posting every 100 ms when filled: queue position (risk-averse model),
order latency and maker/taker fees on both sides.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.sim.data.columns import BID, LEVEL, TRADE, Recording

try:  # the `bench` extra; the bench says so and skips this side when it is missing
    import hftbacktest as hbt
    from numba import njit
except ImportError:  # pragma: no cover - depends on the environment
    hbt = None


GTC, IOC = 0, 3  # hftbacktest.order's time-in-force codes (IOC is not exported at the top)


def available() -> bool:
    return hbt is not None


def to_events(rec: Recording) -> np.ndarray:
    """Our rows as hftbacktest events (a clear row has no counterpart: it starts an empty book)."""
    keep = (rec.kind == LEVEL) | (rec.kind == TRADE)
    kind, side = rec.kind[keep], rec.side[keep]
    ts = (rec.ts[keep] * 1e9).astype(np.int64)
    tick, lot = float(rec.tick), float(rec.lot)
    ev = np.zeros(int(keep.sum()), dtype=hbt.event_dtype)
    depth = kind == LEVEL
    flags = np.where(depth, hbt.DEPTH_EVENT, hbt.TRADE_EVENT).astype(np.uint64)
    # depth: the side of the level; trade: the initiator (a print against the bid was a sell)
    buy = np.where(depth, side == BID, side != BID)
    flags |= np.where(buy, hbt.BUY_EVENT, hbt.SELL_EVENT).astype(np.uint64)
    flags |= np.uint64(hbt.EXCH_EVENT | hbt.LOCAL_EVENT)
    ev["ev"] = flags
    ev["exch_ts"] = ts
    ev["local_ts"] = ts
    ev["px"] = rec.price[keep] * tick
    ev["qty"] = rec.qty[keep] * lot
    return ev


if hbt is not None:

    @njit
    def _quote_loop(backtest: Any, qty: float, step_ns: int) -> int:  # pragma: no cover - jitted
        oid = 0
        fills = 0
        while backtest.elapse(step_ns) == 0:
            depth = backtest.depth(0)
            buy_open = False
            sell_open = False
            values = backtest.orders(0).values()
            while values.has_next():
                o = values.get()
                if o.status == hbt.NEW or o.status == hbt.NONE:
                    if o.side == hbt.BUY:
                        buy_open = True
                    else:
                        sell_open = True
                elif o.status == hbt.FILLED:
                    fills += 1
            backtest.clear_inactive_orders(0)
            if not buy_open and depth.best_bid_tick > -(2**62):
                oid += 1
                backtest.submit_buy_order(0, oid, depth.best_bid, qty, hbt.GTX, hbt.LIMIT, False)
            if not sell_open and depth.best_ask_tick < 2**62:
                oid += 1
                backtest.submit_sell_order(0, oid, depth.best_ask, qty, hbt.GTX, hbt.LIMIT, False)
        return fills


def run(
    events: np.ndarray,
    rec: Recording,
    *,
    qty_lots: int,
    latency_s: float,
    maker_bps: float,
    taker_bps: float,
    step_s: float = 0.1,
) -> tuple[int, float]:
    """(fills, fees) of the quoting strategy over `events` on hftbacktest's L2 exchange."""
    asset = (
        hbt.BacktestAsset()
        .data([events])
        .linear_asset(1.0)
        .constant_order_latency(int(latency_s * 1e9), int(latency_s * 1e9))
        .risk_adverse_queue_model()
        .partial_fill_exchange()
        .trading_value_fee_model(maker_bps / 1e4, taker_bps / 1e4)
        .tick_size(float(rec.tick))
        .lot_size(float(rec.lot))
        .last_trades_capacity(0)
    )
    backtest = hbt.HashMapMarketDepthBacktest([asset])
    fills = _quote_loop(backtest, qty_lots * float(rec.lot), int(step_s * 1e9))
    fee = float(backtest.state_values(0).fee)
    backtest.close()
    return int(fills), fee


if hbt is not None:

    @njit
    def schedule_loop(  # pragma: no cover - jitted
        backtest: Any,
        times: Any,
        hold_ns: int,
        gap_ns: int,
        rest_lots: int,
        cross_lots: int,
        lot: float,
    ) -> Any:
        """Per time: a resting buy at the best bid held `hold_ns`, then an IOC buy at the best ask."""
        n = len(times)
        rest = np.zeros(n, dtype=np.int64)
        cross = np.zeros(n, dtype=np.int64)
        oid = 0
        for k in range(n):
            now = backtest.current_timestamp
            if times[k] > now:
                backtest.elapse(times[k] - now)
            depth = backtest.depth(0)
            oid += 1
            backtest.submit_buy_order(
                0, oid, depth.best_bid, rest_lots * lot, GTC, hbt.LIMIT, False
            )
            backtest.elapse(hold_ns)
            o = backtest.orders(0).get(oid)
            if o is not None:
                rest[k] = round((o.qty - o.leaves_qty) / lot)
                if o.status == hbt.NEW:
                    backtest.cancel(0, oid, False)
            backtest.elapse(gap_ns)
            backtest.clear_inactive_orders(0)
            depth = backtest.depth(0)
            oid += 1
            backtest.submit_buy_order(
                0, oid, depth.best_ask, cross_lots * lot, IOC, hbt.LIMIT, False
            )
            backtest.elapse(1000)
            c = backtest.orders(0).get(oid)
            if c is not None:
                cross[k] = round((c.qty - c.leaves_qty) / lot)
            backtest.clear_inactive_orders(0)
        return rest, cross
