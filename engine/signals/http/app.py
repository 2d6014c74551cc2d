"""The routes: signals and tickets in; orders, fills, positions and reports out; the kill switch."""

from __future__ import annotations

import dataclasses
import time
from decimal import Decimal
from typing import Any, Literal

from fastapi import Depends, FastAPI, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from engine.models import InputError, Signal, Ticket, parse_side
from engine.quality.report import GROUP_KEYS, build_report
from engine.routing.plan import ALGOS
from engine.signals.desk import SignalDesk
from engine.signals.events import SignalUpdated
from engine.signals.http.auth import Bearer
from engine.signals.http.errors import Json, install
from engine.signals.message import SignalIn


def an_id() -> Any:
    """A fresh path parameter each time: FastAPI binds a parameter object to one name."""
    return Path(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:@-]*$")


DAY_S = 86_400.0


class TicketIn(BaseModel):
    """A parent order as typed on the console's ticket: a quantity, not a Kelly size."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    symbol: str = Field(min_length=1, max_length=32, pattern=r"^\S+$")
    side: Literal["buy", "sell", "BUY", "SELL", "Buy", "Sell"]
    quantity: Decimal = Field(gt=0, allow_inf_nan=False, max_digits=30)
    algo: str = Field("auto", description=f"one of {', '.join(ALGOS)}")
    strength: float = Field(0.5, ge=0, le=1)
    limit_price: Decimal | None = Field(None, gt=0, allow_inf_nan=False, max_digits=30)
    venue: str | None = Field(None, min_length=1, max_length=32)


def outcome(view: SignalUpdated) -> dict[str, Any]:
    return dataclasses.asdict(view)


def build_app(desk: SignalDesk, token: str) -> FastAPI:
    """The API over one desk and its engine; every route needs the bearer token."""
    engine = desk.engine
    app = FastAPI(
        title="Tranche local API",
        version="1",
        description="Signals and tickets in, orders, fills, positions and reports out, the kill switch.",
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(Bearer(token))],
        default_response_class=Json,
    )
    install(app)

    @app.post("/v1/signals", summary="Hand over one signal (wire format v1)")
    async def post_signal(signal: SignalIn) -> Any:
        return outcome(await desk.receive(signal.model_dump(), "http"))

    @app.get("/v1/signals", summary="The signal journal, newest first")
    async def get_signals(
        status: str | None = Query(None, max_length=16), limit: int = Query(200, ge=1, le=10_000)
    ) -> Any:
        rows = await desk.journal.signal_rows(status=status, limit=limit)
        return {"signals": [{k: v for k, v in r.items() if k != "claim"} for r in rows]}

    @app.post("/v1/signals/{signal_id}/accept", summary="Send a held signal")
    async def accept(signal_id: str = an_id()) -> Any:
        return outcome(await desk.accept(signal_id))

    @app.post("/v1/signals/{signal_id}/reject", summary="Drop a held signal")
    async def reject(signal_id: str = an_id()) -> Any:
        return outcome(await desk.reject(signal_id))

    @app.post("/v1/tickets", summary="Send one parent order (the risk gate checks every child)")
    async def post_ticket(t: TicketIn) -> Any:
        if t.algo not in ALGOS:
            raise InputError(
                "algo", f"unknown algorithm {t.algo!r}; expected one of {', '.join(ALGOS)}"
            )
        ticket = Ticket(
            t.symbol.upper(),
            parse_side(t.side),
            t.quantity,
            Signal(t.strength),
            t.limit_price,
            t.algo,
            t.venue,
        )
        return {"parent_id": await engine.submit(ticket)}

    @app.get("/v1/orders", summary="Child orders and fills from the history, newest first")
    async def orders(limit: int = Query(200, ge=1, le=10_000)) -> Any:
        return {"orders": [r for r in await engine.blotter(limit) if r["kind"] == "order"]}

    @app.get("/v1/fills", summary="The newest fills with slippage and latency, oldest first")
    async def fills(limit: int = Query(200, ge=1, le=10_000)) -> Any:
        store = engine.store
        return {"fills": await store.recent_fills(limit) if store is not None else []}

    @app.get("/v1/positions", summary="Positions and P&L per symbol and venue")
    async def positions() -> Any:
        return {"positions": engine.position_rows(), "trading_state": engine.trading_state.value}

    @app.get("/v1/parents/{parent_id}/report", summary="The execution report of one parent")
    async def parent_report(parent_id: str = an_id()) -> Any:
        if parent_id not in engine.parents:
            raise InputError(
                "parent_id", f"unknown parent {parent_id!r} (this session's parents only)"
            )
        return dataclasses.asdict(engine.report(parent_id))

    @app.get("/v1/report", summary="Execution quality from the fill history")
    async def quality(
        since_days: float = Query(30.0, gt=0, le=3650),
        by: Literal["venue", "symbol", "algo", "hour", "day"] = "venue",
    ) -> Any:
        if engine.store is None:
            raise InputError("store", "this engine runs without a fill history")
        assert by in GROUP_KEYS
        return await build_report(engine.store, since_ts=time.time() - since_days * DAY_S, by=by)

    @app.post("/v1/kill", summary="HALT trading and cancel every open order on every venue")
    async def kill() -> Any:
        return dataclasses.asdict(await engine.kill())

    @app.get("/v1/status", summary="Trading state, signal mode and held signals")
    async def status() -> Any:
        return {
            "trading_state": engine.trading_state.value,
            "mode": desk.mode,
            "held": [outcome(h.view) for h in desk.held.values()],
        }

    return app
