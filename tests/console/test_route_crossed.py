"""Quotes crossed across venues are routed, not refused: the decision reads one venue's own quote."""

from __future__ import annotations

import json
from decimal import Decimal

from console.cli import main

CROSSED = {
    "A": {"bid": "99.97", "ask": "100.01", "bid_size": 500, "ask_size": 500},
    "C": {"bid": "100.05", "ask": "100.09", "bid_size": 500, "ask_size": 500},
}


def _route(tmp_path, capsys, side: str, qty: str) -> dict:
    quotes = tmp_path / "quotes.json"
    quotes.write_text(json.dumps(CROSSED))
    argv = ["route", "--symbol", "BTCUSDT", "--side", side, "--qty", qty, "--quotes", str(quotes)]
    assert main([*argv, "--db", str(tmp_path / "none.db"), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_crossed_venues_route_a_buy_on_the_cheapest_ask(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("TRANCHE_CONFIG", raising=False)
    d = _route(tmp_path, capsys, "buy", "100")
    # the rules read venue A's own quote: a positive spread, a limit that never crosses A's ask
    assert (d["bid"], d["ask"]) == ("99.97", "100.01")
    assert d["spread_bps"] > 0
    assert Decimal(d["limit_price"]) <= Decimal("100.01")
    assert d["legs"][0]["venue"] == "A" and d["legs"][0]["price_worse_bps"] == 0


def test_crossed_venues_route_a_sell_on_the_highest_bid(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("TRANCHE_CONFIG", raising=False)
    d = _route(tmp_path, capsys, "sell", "100")
    assert (d["bid"], d["ask"]) == ("100.05", "100.09")
    assert Decimal(d["limit_price"]) >= Decimal("100.05")
    assert d["legs"][0]["venue"] == "C"


def test_one_venues_own_crossed_quote_is_still_refused_naming_it(tmp_path, capsys):
    quotes = tmp_path / "quotes.json"
    quotes.write_text(json.dumps({"A": {"bid": "100.02", "ask": "100.01"}}))
    argv = ["route", "--symbol", "X", "--side", "buy", "--qty", "1", "--quotes", str(quotes)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "A: crossed or locked quote" in err and "--ask" not in err
