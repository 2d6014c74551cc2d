"""Rebuild the excerpts in this folder from ../shared/data (run once by hand; not part of the tests)."""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

HERE = Path(__file__).parent
DATA = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parents[3] / "shared" / "data"
CAPTURES = DATA / "exchange-captures"
STATIC = DATA / "ccxt-static" / "response"

BINANCE_SYMBOLS = ["BTCUSDT", "LTCUSDT", "NKNUSDT", "BLZETH"]
KRAKEN_PAIRS = ["XBTCHF", "XXBTZUSD", "XBTUSDT", "LTCUSDT", "XXMRZUSD"]
KRAKEN_BOOKS = {"XBT/CHF": "XBTCHF", "XMR/USD": "XXMRZUSD"}
LEVELS = 25
OKX_SPOT = ["BTC-USDT", "ETH-USDT", "LTC-USDT"]


def rest_lines(path: Path) -> dict[str, str]:
    """`<url> -> <ts>: <body>` lines of a cryptofeed capture, by url."""
    out = {}
    with gzip.open(path, "rt") as f:
        for line in f:
            if " -> " in line:
                url, rest = line.split(" -> ", 1)
                out[url] = rest.split(": ", 1)[1]
    return out


def static(exchange: str, method: str, description: str) -> object:
    entries = json.loads((STATIC / f"{exchange}.json").read_text())["methods"][method]
    return next(e for e in entries if e["description"] == description)["httpResponse"]


def binance() -> dict[str, object]:
    start = rest_lines(CAPTURES / "BINANCE.0.gz")
    info = json.loads(start["https://api.binance.com/api/v3/exchangeInfo"])
    info["symbols"] = [s for s in info["symbols"] if s["symbol"] in BINANCE_SYMBOLS]
    depth = {}
    for url, body in rest_lines(CAPTURES / "BINANCE.http.0.0.gz").items():
        sym = url.split("symbol=")[1].split("&")[0]
        if sym in BINANCE_SYMBOLS:
            book = json.loads(body)
            depth[sym] = {
                "lastUpdateId": book["lastUpdateId"],
                "bids": book["bids"][:LEVELS],
                "asks": book["asks"][:LEVELS],
            }
    depth["BTCUSDT"] = static("binance", "fetchOrderBook", "spot orderbook")
    return {
        "exchangeInfo": info,
        "depth": depth,
        "ticker24hr": {"BTCUSDT": static("binance", "fetchTicker", "public spot ticker")},
        "account": static("binance", "fetchBalance", "Spot balance"),
        "order": static("binance", "fetchOrder", "Fetch spot closed order"),
        "myTrades": static("binance", "fetchMyTrades", "Spot private trade"),
    }


def kraken() -> dict[str, object]:
    start = rest_lines(CAPTURES / "KRAKEN.0.gz")
    pairs = json.loads(start["https://api.kraken.com/0/public/AssetPairs"])
    pairs["result"] = {k: v for k, v in pairs["result"].items() if k in KRAKEN_PAIRS}
    books: dict[str, object] = {}
    with gzip.open(CAPTURES / "KRAKEN.ws.50.0.gz", "rt") as f:
        for line in f:
            if '"as"' not in line:
                continue
            frame = json.loads(line.split(": ", 1)[1])
            key = KRAKEN_BOOKS.get(frame[-1])
            if key and key not in books:
                snap = frame[1]
                books[key] = {"asks": snap["as"][:LEVELS], "bids": snap["bs"][:LEVELS]}
    return {
        "AssetPairs": pairs,
        "Depth": books,
        "Ticker": static("kraken", "fetchTicker", "public spot ticker"),
        "QueryOrders": static("kraken", "fetchOrder", "fetch spot limit order"),
    }


def okx() -> dict[str, object]:
    start = rest_lines(CAPTURES / "OKX.0.gz")
    spot = json.loads(start["https://www.okx.com/api/v5/public/instruments?instType=SPOT"])
    spot["data"] = [i for i in spot["data"] if i["instId"] in OKX_SPOT]
    books: dict[str, object] = {}
    tickers: dict[str, object] = {}
    with gzip.open(CAPTURES / "OKX.ws.1.0.gz", "rt") as f:
        for line in f:
            if '"channel":"tickers"' in line and '"data"' in line:
                frame = json.loads(line.split(": ", 1)[1])
                tickers.setdefault(frame["arg"]["instId"], frame["data"][0])
            if '"action":"snapshot"' not in line or '"channel":"books"' not in line:
                continue
            frame = json.loads(line.split(": ", 1)[1])
            inst = frame["arg"]["instId"]
            if inst in OKX_SPOT and inst not in books:
                snap = frame["data"][0]
                books[inst] = {
                    "asks": snap["asks"][:LEVELS],
                    "bids": snap["bids"][:LEVELS],
                    "ts": snap["ts"],
                }
    return {
        "instruments": spot,
        "books": books,
        "tickers": {k: v for k, v in tickers.items() if k in OKX_SPOT},
        "time": static("okx", "fetchTime", "Fetch time"),
        "order": static(
            "okx", "fetchOpenOrders", "fetch swap limit open order with take profit and stop loss"
        ),
        "fill": static("okx", "fetchMyTrades", "Fetch spot trade"),
        "placed": static("okx", "createOrder", "type2 & type3 together"),
    }


if __name__ == "__main__":
    for name, data in (
        ("binance_spot.json", binance()),
        ("kraken.json", kraken()),
        ("okx.json", okx()),
    ):
        (HERE / name).write_text(json.dumps(data, indent=1) + "\n")
        print(name, (HERE / name).stat().st_size, "bytes")
