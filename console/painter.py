"""Pane painting from the console state and from engine answers: display only, no trading logic."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from console.ingest import HEADER, KILL, KILL_REPORT, LOG, MARKET, PROGRESS, QUALITY
from engine.brokers.base import UnknownSymbol
from engine.models import TradingState
from engine.numbers import no_steps
from widgets.alert_list import AlertList
from widgets.blotter import Blotter
from widgets.execution_progress import ExecutionProgress
from widgets.guardrail_chart import GuardrailChart
from widgets.kelly_preview import KellyPreview
from widgets.kill_switch import KillSwitch
from widgets.latency_chart import LatencyChart
from widgets.log_pane import LogPane
from widgets.market_board import MarketBoard
from widgets.order_book import OrderBook
from widgets.order_ticket import OrderTicket
from widgets.positions import PositionsPane
from widgets.slippage_chart import SlippageChart
from widgets.sor_legs import SorLegs
from widgets.state_message import state_message
from widgets.status_bar import StatusBar
from widgets.venue_scores import VenueScores

if TYPE_CHECKING:
    from console.app import TrancheApp
    from console.screens.main import MainScreen

BASELINE_ALGOS = ("twap", "passive-twap")  # what the adaptive path is compared against


def paint(app: TrancheApp, main: MainScreen, dirty: set[str]) -> None:
    st = app.state
    if HEADER in dirty or KILL in dirty or KILL_REPORT in dirty:
        main.query_one(StatusBar).show(
            st.venues,
            st.trading_state,
            app.engine.clock.now(),
            app.engine.clock.simulated,
            dead_men=app.engine.dead_men(),
            message=state_message(st.trading_state, st.state_reason, app.key_for),
        )
        main.query_one(KillSwitch).show(st.trading_state, st.state_reason, st.last_kill)
        main.query_one(KillSwitch).show_sweep(st.last_sweep)
        update_submit(app, main)
    if MARKET in dirty:
        symbol = app.draft.symbol.strip().upper()
        feeds = {v: st.feeds.get(v, "poll" if f.get("book", "").startswith("poll") else "")
                 for v, f in app.engine.venue_feed_modes().items()}  # fmt: skip
        main.query_one(MarketBoard).show(
            (q for (_, s), q in st.quotes.items() if s == symbol), app.engine.clock.now(), feeds
        )
    if PROGRESS in dirty:
        main.query_one(ExecutionProgress).show(
            st.parents.values(), app.engine.clock.now(), getattr(app.engine, "steps", no_steps)
        )
        paint_legs(app, main)
    if "legs" in dirty:
        paint_legs(app, main)
    if QUALITY in dirty:
        main.query_one(SlippageChart).show(st.fills)
        main.query_one(LatencyChart).show(st.fills)
        main.query_one(GuardrailChart).show(shortfalls_by_family(app))
        main.query_one(AlertList).show(st.alerts)
    if LOG in dirty:
        main.query_one(LogPane).show(st.logs, st.log_seq)


def shortfalls_by_family(app: TrancheApp) -> dict[str, list[float]]:
    """The engine's shortfall of each completed parent, grouped adaptive / baseline for the guardrail."""
    out: dict[str, list[float]] = {"adaptive": [], "baseline": []}
    for p in app.state.parents.values():
        sf = p.shortfall_bps
        if p.working or sf is None:
            continue
        if p.algo == "adaptive":
            out["adaptive"].append(sf)
        elif p.algo in BASELINE_ALGOS:
            out["baseline"].append(sf)
    return out


def live_legs(app: TrancheApp) -> dict[str, tuple[str, Decimal, Decimal]]:
    """Per venue of the newest working parent: status, filled and planned leg quantity."""
    working = [p for p in app.state.parents.values() if p.working]
    if not working:
        return {}
    p = max(working, key=lambda p: p.accepted_ts)
    out: dict[str, tuple[str, Decimal, Decimal]] = {}
    for venue, qty in p.leg_plan:
        kids = [c for c in p.children.values() if c.venue == venue]
        filled = sum((Decimal(c.filled_qty) for c in kids), Decimal(0))
        prog = p.legs.get(venue)
        status = kids[-1].status.value if kids else "pending"
        if prog is not None and prog.slice_total:
            status = f"{status} {prog.slice_index}/{prog.slice_total}"
        out[venue] = (status, filled, Decimal(qty))
    return out


def paint_legs(app: TrancheApp, main: MainScreen) -> None:
    pv = app.preview
    main.query_one(SorLegs).show(pv.legs if pv else (), pv.dropped if pv else (), live_legs(app))


def paint_preview(app: TrancheApp, main: MainScreen) -> None:
    pv = app.preview
    ticket = main.query_one(OrderTicket)
    main.query_one(KellyPreview).show(pv)
    paint_legs(app, main)
    if pv is None:
        return
    ticket.show_errors(dict(pv.errors))
    update_submit(app, main)
    app.state.dirty.add(MARKET)


def update_submit(app: TrancheApp, main: MainScreen) -> None:
    """Submit is enabled only for a valid preview while the engine says trading is ACTIVE."""
    pv = app.preview
    if pv is None:
        return
    state = app.engine.trading_state
    halted = state in (TradingState.HALTED, TradingState.PAUSED)  # the engine refuses both
    ok = pv.ok and not halted
    ready = f"ready: {pv.quantity} {pv.symbol}"
    if pv.funding:  # the dialog names the venues: cash there covers part of the leg
        ready = f"cash short on {len(pv.funding)} venue(s): see the confirmation"
    if pv.denied:  # the dialog lists them and will not send
        ready = f"risk gate would deny {len(pv.denied)} child order(s)"
    main.query_one(OrderTicket).set_submittable(
        ok, ready if ok else f"trading {state.value}" if pv.ok else "not valid"
    )


async def fetch_and_show(app: TrancheApp) -> None:
    """Blotter, venue scores and book from the engine's own queries; a missing query shows no data."""
    main = app.main
    if main is None:
        return
    eng = app.engine
    symbol = app.draft.symbol.strip().upper()
    if hasattr(eng, "blotter"):
        main.query_one(Blotter).show(await eng.blotter(200), getattr(eng, "steps", None))
    if hasattr(eng, "position_rows"):
        main.query_one(PositionsPane).show(eng.position_rows())
    if hasattr(eng, "venue_scores") and symbol:
        main.query_one(VenueScores).show(await eng.venue_scores(symbol))
    venues = [v for v, ok in eng.venue_connected.items() if ok]
    book = main.query_one(OrderBook)
    if app.book_venue not in venues:
        app.book_venue = venues[0] if venues else None
    book.set_venues(venues, app.book_venue)
    if hasattr(eng, "book") and app.book_venue and symbol:
        try:
            bids, asks = await eng.book(app.book_venue, symbol, 10)
            await eng.instrument(app.book_venue, symbol)  # cached: prices shown at its tick
        except UnknownSymbol:  # the ticket already says so under its field: no toast per second
            bids, asks = [], []
        tick, lot = eng.steps(app.book_venue, symbol) if hasattr(eng, "steps") else (None, None)
        book.show(app.book_venue, symbol, bids, asks, tick, lot)
    else:
        book.show(app.book_venue, symbol, [], [])
