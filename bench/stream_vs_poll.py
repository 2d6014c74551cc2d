"""Streaming versus polling on `tranche sim serve`, side by side in one run over the same market.

One sim server, 8 venues of one market: SIM-A..D are read by ccxt brokers that poll REST (the
engine's quote poll every 0.25 s, fills every `poll_interval_s`), SIM-E..H by ccxt brokers that
stream over ccxt.pro (books pushed, fills from the user stream, REST reconciliation every 10 s).
The market runs fast enough that the four streamed venues' books change ~1,000 times a second.
Every 20 ms both groups' held quotes are aged (now - when the quote arrived) and compared with the
venue's true top at that instant (stale %); marketable orders go to every venue and the time from the venue's execution
to the broker reporting the fill is taken. REST requests are counted per group at the server and
weighted as Binance weighs them.
Run: python -m bench.stream_vs_poll [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import Counter
from decimal import Decimal

from engine.brokers.base import OrderUpdate
from engine.brokers.ccxt.broker import CcxtBroker
from engine.config import Settings, VenueConfig
from engine.models import ChildOrder, OrderType, Quote, Side, TimeInForce
from engine.sim.server.app import build_server, start_site, stop_server

KEY, SECRET = "bench-key", "bench-secret"
POLLED, STREAMED = ("SIM-A", "SIM-B", "SIM-C", "SIM-D"), ("SIM-E", "SIM-F", "SIM-G", "SIM-H")
QUOTE_POLL_S = 0.25  # engine/execution/views.POLL_S: the engine's own quote poll
SPEED = 25.0  # x wall time; with STEP_S 0.1 a market step every 4 ms of wall time
STEP_S = 0.1  # -> up to 250 book changes a second per venue, 1,000 over the 4 streamed ones
WEIGHT = {"v3/depth": 50, "v3/myTrades": 20, "v3/openOrders": 6, "v3/order": 4, "v3/ticker/24hr": 2}


def pct(xs: list[float], p: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100 * len(xs)))]


def broker(url: str, venue: str, stream: bool) -> CcxtBroker:
    return CcxtBroker(
        VenueConfig(
            name=venue, exchange="binance", api_key_env="K", secret_env="S",
            base_url=f"{url}/{venue}", rate_limit=False, symbols=["BTCUSDT"], stream=stream,
            poll_interval_s=2.0, reconcile_interval_s=10.0,
        ),
        environ={"K": KEY, "S": SECRET},
    )  # fmt: skip


async def run(seconds: float) -> None:
    base = Settings()
    settings = base.model_copy(
        update={
            "sim": base.sim.model_copy(
                update={"venues": 8, "symbols": ["BTCUSDT"], "step_s": STEP_S}
            )
        }
    )
    server = await build_server(settings, speed=SPEED, api_key=KEY, api_secret=SECRET)
    server.streams.sample_s = 0.005
    runner, url = await start_site(server, "127.0.0.1", 0)
    brokers = {v: broker(url, v, v in STREAMED) for v in (*POLLED, *STREAMED)}
    held: dict[str, tuple[Quote, float]] = {}  # venue -> (quote, monotonic when it arrived)
    executed: dict[str, float] = {}  # venue trade id -> monotonic when the venue executed it
    seen: dict[str, float] = {}  # venue trade id -> monotonic when the broker reported it

    for name, desk in server.desks.items():
        desk.listeners.append(
            lambda o, kind, t, n=name: (
                executed.setdefault(f"{n}:{t['id']}", time.monotonic()) if t is not None else None
            )
        )

    def on_update(venue: str, u: OrderUpdate) -> None:
        if u.fill is not None:
            seen.setdefault(f"{venue}:{u.fill.fill_id}", time.monotonic())

    for v, b in brokers.items():
        b.on_update(lambda u, v=v: on_update(v, u))
        b.on_quote(lambda q: held.__setitem__(q.venue, (q, time.monotonic())))
    await asyncio.gather(*(b.connect() for b in brokers.values()))
    for v in STREAMED:
        await brokers[v].top_of_book("BTCUSDT")  # starts the book stream

    async def poll_quotes() -> None:
        while True:
            for v in POLLED:
                q = await brokers[v].top_of_book("BTCUSDT")
                held[v] = (q, time.monotonic())
            await asyncio.sleep(QUOTE_POLL_S)

    async def trade() -> None:
        n = 0
        while True:
            await asyncio.sleep(1.0)
            for v, b in brokers.items():
                n += 1
                q = held[v][0]
                child = ChildOrder(
                    f"B{n}", "P", v, "BTCUSDT", Side.BUY if n % 2 else Side.SELL,
                    Decimal("0.001"), OrderType.LIMIT,
                    (q.ask * Decimal("1.01") if n % 2 else q.bid * Decimal("0.99")).quantize(
                        Decimal("0.01")
                    ),
                    TimeInForce.IOC,
                )  # fmt: skip
                try:
                    await b.submit(child)
                except Exception:  # noqa: BLE001 - a refused order is no fill: nothing to time
                    continue

    ages: dict[str, list[float]] = {"poll": [], "stream": []}
    stale: Counter[str] = Counter()
    samples: Counter[str] = Counter()
    updates0 = {v: server.streams.feed(v, "BTCUSDT").update_id for v in STREAMED}
    hits0 = dict(server.venue_hits)
    tasks = [asyncio.create_task(poll_quotes()), asyncio.create_task(trade())]
    t0 = time.monotonic()
    await asyncio.sleep(1.0)  # streams settle before sampling
    while time.monotonic() - t0 < seconds:
        await asyncio.sleep(0.02)
        now = time.monotonic()
        for v in (*POLLED, *STREAMED):
            mode = "stream" if v in STREAMED else "poll"
            if v not in held:
                continue
            q, at = held[v]
            ages[mode].append((now - at) * 1000)
            now_top = await server.desks[v].venue.top_of_book("BTCUSDT")  # the venue's truth now
            samples[mode] += 1
            if (q.bid, q.ask) != (now_top.bid, now_top.ask):
                stale[mode] += 1
    elapsed = time.monotonic() - t0
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.sleep(2.5)  # fills still in flight on the polled venues are reported
    rate = sum(server.streams.feed(v, "BTCUSDT").update_id - updates0[v] for v in STREAMED)
    lat: dict[str, list[float]] = {"poll": [], "stream": []}
    for key, t_exec in executed.items():
        venue = key.split(":")[0]
        if key in seen:
            lat["stream" if venue in STREAMED else "poll"].append((seen[key] - t_exec) * 1000)
    use = {"poll": Counter(), "stream": Counter()}
    for v, n in server.venue_hits.items():
        if v in POLLED or v in STREAMED:
            use["stream" if v in STREAMED else "poll"]["requests"] += n - hits0.get(v, 0)
    weight = {"poll": 0, "stream": 0}
    for (v, path), n in server.venue_path_hits.items():
        mode = "stream" if v in STREAMED else "poll" if v in POLLED else ""
        if mode:
            weight[mode] += WEIGHT.get(path, 1) * n
    for b in brokers.values():
        await b.close()
    await stop_server(server, runner)

    minutes = elapsed / 60
    print(f"stream vs poll on sim serve, {elapsed:.0f} s, 4 + 4 venues of one market")
    print(f"  book updates on the 4 streamed venues: {rate / elapsed:,.0f}/s")
    print(f"  {'':8} {'age p50':>9} {'age p99':>9} {'stale %':>8} {'req/min':>8} {'weight/min':>10} {'fill p50':>9} {'fill p99':>9} {'fills':>6}")  # fmt: skip
    for m in ("poll", "stream"):
        print(
            f"  {m:8} {pct(ages[m], 50):7.0f}ms {pct(ages[m], 99):7.0f}ms "
            f"{100 * stale[m] / max(1, samples[m]):7.1f}% {use[m]['requests'] / minutes:8.0f} "
            f"{weight[m] / minutes:10.0f} {pct(lat[m], 50):7.0f}ms {pct(lat[m], 99):7.0f}ms "
            f"{len(lat[m]):6d}"
        )
    ratio = lambda f: f("poll") / max(1e-9, f("stream"))  # noqa: E731
    print(
        f"  poll/stream: quote age p50 {ratio(lambda m: pct(ages[m], 50)):.1f}x, "
        f"p99 {ratio(lambda m: pct(ages[m], 99)):.1f}x; fill latency p99 "
        f"{ratio(lambda m: pct(lat[m], 99)):.1f}x; REST weight {ratio(lambda m: weight[m]):.1f}x"
    )
    print(
        f"  target: streaming fill p99 < 100 ms: {'met' if pct(lat['stream'], 99) < 100 else 'NOT met'}"
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=20.0)
    asyncio.run(run(p.parse_args().seconds))


if __name__ == "__main__":
    main()
