"""Venue legs for `tranche route --quotes FILE`: the SOR split against quotes the trader supplies."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from engine.config import Settings
from engine.models import InputError, Quote, Side, Ticket, to_decimal
from engine.routing.plan import arrival_mid, split_legs
from engine.routing.scores import venue_scores
from engine.routing.sor import VenueScore


def load_quotes(path: str, symbol: str, now: float) -> dict[str, Quote]:
    """Parse `{"VENUE": {"bid", "ask", "bid_size", "ask_size"}}`; every error names venue and field."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as e:
        raise InputError("--quotes", f"cannot read {path}: {e.strerror or e}") from None
    except UnicodeDecodeError as e:
        raise InputError("--quotes", f"{path}: not UTF-8 text (byte {e.start})") from None
    except ValueError as e:  # json's own errors, and a number too long to convert
        if not isinstance(e, json.JSONDecodeError):
            raise InputError("--quotes", f"{path}: a value is out of range") from None
        raise InputError(
            "--quotes", f"{path}: not valid JSON at line {e.lineno}: {e.msg}"
        ) from None
    if not isinstance(raw, dict) or not raw:
        raise InputError(
            "--quotes",
            f'{path}: expected an object of venues, e.g. {{"A": {{"bid": 1, "ask": 2}}}}',
        )
    quotes = {}
    for venue, q in raw.items():
        if not isinstance(q, dict):
            raise InputError(
                "--quotes", f"{path}: {venue}: expected an object with bid, ask, bid_size, ask_size"
            )
        vals = {}
        for key in ("bid", "ask", "bid_size", "ask_size"):
            if key not in q and key.endswith("size"):
                vals[key] = Decimal(0)
                continue
            if key not in q:
                raise InputError("--quotes", f"{path}: {venue}.{key}: missing")
            try:
                vals[key] = to_decimal(q[key], key, allow_zero=key.endswith("size"))
            except InputError as e:
                raise InputError("--quotes", f"{path}: {venue}.{e.field}: {e.message}") from None
        if vals["ask"] <= vals["bid"]:
            raise InputError(
                "--quotes",
                f"{path}: {venue}: crossed or locked quote (bid {vals['bid']} >= ask {vals['ask']})",
            )
        quotes[str(venue)] = Quote(
            str(venue), symbol, vals["bid"], vals["ask"], vals["bid_size"], vals["ask_size"], now
        )
    return quotes


async def _scores(
    settings: Settings, db: str | Path | None, venues: list[str], symbol: str, now: float
) -> dict[str, VenueScore]:
    from engine.store.target import history_exists, history_store

    if db is None or not history_exists(db):
        return await venue_scores(None, venues, symbol, now, settings.router)
    store = history_store(settings, db)
    await store.open()
    try:
        return await venue_scores(store, venues, symbol, now, settings.router)
    finally:
        await store.close()


def sor_legs(
    settings: Settings,
    side: Side,
    qty: Decimal,
    quotes: dict[str, Quote],
    db: str | Path | None,
    now: float,
    step: Decimal,
) -> dict[str, Any]:
    """The legs and dropped venues the router would choose, as JSON-ready data."""
    scores = asyncio.run(
        _scores(settings, db, list(quotes), next(iter(quotes.values())).symbol, now)
    )
    # the engine's own rule (engine/routing/plan.py): the split the console and `exec` would make
    symbol = next(iter(quotes.values())).symbol
    ticket = Ticket(symbol, side, qty)
    legs, dropped, split = split_legs(
        ticket,
        qty,
        arrival_mid(quotes),
        quotes,
        scores,
        settings.router,
        dict.fromkeys(quotes, step),
    )
    if not split:
        why = f"order notional below the split threshold {settings.router.sor_min_notional}: one venue"
        dropped = [(v, why if r.startswith("at most") else r) for v, r in dropped]
    return {
        "split": split,
        "legs": [
            {
                "venue": leg.venue,
                "quantity": str(leg.quantity),
                "notional": str(leg.notional),
                "share": round(leg.share, 6),
                "spread_bps": round(leg.spread_bps, 4),
                "price_worse_bps": round(leg.price_worse_bps, 4),
                "expected_slippage_bps": round(leg.expected_slippage_bps, 4),
                "effective_cost_bps": round(leg.effective_cost_bps, 4),
                "slippage_source": leg.slippage_source,
            }
            for leg in legs
        ],
        "dropped": [{"venue": v, "reason": r} for v, r in dropped],
    }
