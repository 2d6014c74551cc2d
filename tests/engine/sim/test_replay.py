"""Replay of real data: the rebuilt book equals the data's own; bad files are reported, the good part kept."""

from __future__ import annotations

import gzip
import json

import pytest

from console.cli import main
from engine.models import InputError
from engine.sim.book import L2Book
from engine.sim.data.replay import replay_file
from engine.sim.overlay import Overlay

from .conftest import EXCERPT


def lines() -> list[str]:
    with gzip.open(EXCERPT, "rt") as f:
        return f.readlines()


def write(path, rows: list[str]) -> str:
    with gzip.open(path, "wt") as f:
        f.writelines(rows)
    return str(path)


def test_binance_excerpt_rebuilds_the_book_the_data_shows_at_every_comparable_ticker():
    res = replay_file(EXCERPT)
    s = res.summary()
    assert s["format"] == "binance" and s["events"] == 6000
    assert s["mismatches"] == 0 and s["gaps"] == 0 and s["errors"] == []
    assert s["compared"] >= 90
    assert float(s["best_bid"]) < float(s["best_ask"])
    assert 61_000 < float(s["best_bid"]) < 62_000 and float(s["best_bid_size"]) > 0


def test_a_tampered_diff_is_caught_as_mismatches(tmp_path):
    rows = lines()
    snap = next(i for i, r in enumerate(rows) if "lastUpdateId" in r)
    ts, body = rows[snap].split(" ", 1)
    msg = json.loads(body)
    best = float(msg["bids"][0][0])
    msg["bids"].insert(
        0, ["%.8f" % (best + 0.005), "1.00000000"]
    )  # a bid level the market never had
    rows[snap] = f"{ts} {json.dumps(msg)}\n"
    res = replay_file(write(tmp_path / "t.jsonl.gz", rows))
    assert res.mismatches > 0


def test_malformed_and_unsorted_lines_are_reported_with_file_and_line_and_the_rest_replays(
    tmp_path,
):
    rows = lines()
    rows.insert(99, "1723161260000000000 {not json\n")  # becomes line 100
    ts, body = rows[200].split(" ", 1)
    rows[200] = f"{int(ts) - 10**12} {body}"  # line 201 goes back 1000 s
    path = write(tmp_path / "bad.jsonl.gz", rows)
    res = replay_file(path)
    where = [(e.path, e.line) for e in res.errors]
    assert where == [(path, 100), (path, 201)]
    assert "bad JSON" in res.errors[0].detail and "backwards" in res.errors[1].detail
    assert res.events == 5999 and res.compared > 50


def test_a_truncated_gzip_says_where_it_stopped_and_keeps_what_was_read(tmp_path):
    raw = EXCERPT.read_bytes()
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(raw[: len(raw) // 2])
    res = replay_file(path)
    assert res.errors and res.errors[-1].path == str(path) and res.errors[-1].line > 1000
    assert "truncated" in res.errors[-1].detail
    assert res.events > 1000 and res.mismatches == 0


def test_sim_replay_cli_prints_one_json_object(capsys):
    assert main(["sim", "replay", "--data", str(EXCERPT), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    for key in (
        "events",
        "first_ts",
        "last_ts",
        "best_bid",
        "best_ask",
        "best_bid_size",
        "best_ask_size",
        "mismatches",
        "events_per_s",
    ):
        assert key in out
    assert out["events_per_s"] > 0  # speed lives in bench.replay_throughput, never in a test


def test_sim_replay_cli_bad_file_is_a_one_line_error(tmp_path, capsys):
    p = tmp_path / "x.csv"
    p.write_text("hello,world\n")
    assert main(["sim", "replay", "--data", str(p)]) == 2
    err = capsys.readouterr().err
    assert str(p) in err and "Traceback" not in err


def _lobster_pair(tmp_path, messages: list[str], rows: list[str]) -> str:
    m = tmp_path / "TEST_2020-01-02_0_1_message_2.csv"
    m.write_text("".join(x + "\n" for x in messages))
    (tmp_path / "TEST_2020-01-02_0_1_orderbook_2.csv").write_text("".join(x + "\n" for x in rows))
    return str(m)


def test_lobster_format_is_recognised_by_content_and_checked_row_by_row(tmp_path):
    msgs = [
        "1.0,1,1,100,1000000,1",
        "2.0,1,2,50,1000100,-1",
        "3.0,4,1,40,1000000,1",
        "4.0,3,2,50,1000100,-1",
    ]
    rows = [
        "9999999999,0,1000000,100,9999999999,0,-9999999999,0",
        "1000100,50,1000000,100,9999999999,0,-9999999999,0",
        "1000100,50,1000000,60,9999999999,0,-9999999999,0",
        "1000300,10,1000000,60,9999999999,0,-9999999999,0",  # a deeper ask enters the window
    ]
    s = replay_file(_lobster_pair(tmp_path, msgs, rows)).summary()
    assert s["format"] == "lobster" and s["events"] == 4 and s["mismatches"] == 0
    assert (s["best_bid"], s["best_bid_size"], s["best_ask"], s["best_ask_size"]) == (
        "100",
        "60",
        "100.03",
        "10",
    )
    rows[2] = (
        "1000100,50,1000000,70,9999999999,0,-9999999999,0"  # the data disagrees with message 3
    )
    (tmp_path / "TEST_2020-01-02_0_1_orderbook_2.csv").write_text("".join(x + "\n" for x in rows))
    res = replay_file(tmp_path / "TEST_2020-01-02_0_1_message_2.csv")
    assert (
        res.mismatches == 2 and res.compared == 3
    )  # row 3 disagrees with message 3, then message 4 with row 3


def test_lobster_orderbook_file_given_instead_of_messages_is_explained(tmp_path):
    _lobster_pair(
        tmp_path, ["1.0,1,1,100,1000000,1"], ["9999999999,0,1000000,100,9999999999,0,-9999999999,0"]
    )
    with pytest.raises(InputError, match="message file"):
        replay_file(tmp_path / "TEST_2020-01-02_0_1_orderbook_2.csv")


@pytest.mark.data
def test_lobster_amzn_level_5_replays_with_no_mismatch(lobster_message):
    s = replay_file(lobster_message).summary()
    assert (
        s["events"] == 155_935
        and s["mismatches"] == 0
        and s["compared"] > 150_000
        and s["errors"] == []
    )


def test_our_orders_overlay_history_take_liquidity_and_queue():
    book = L2Book()
    book.apply([(100.0, 5.0), (99.0, 10.0)], [(101.0, 3.0), (102.0, 4.0)])
    ov = Overlay(book, refill_s=10.0)
    fills = ov.take("t", True, 5.0, None, ts=0.0)
    assert [(f.price, f.qty) for f in fills] == [(101.0, 3.0), (102.0, 2.0)]
    assert book.asks == {101.0: 3.0, 102.0: 4.0}  # history is not rewritten ...
    assert ov.top(0.0)[2:] == (102.0, 2.0)  # ... but we see what we took is gone
    assert ov.visible(False, 101.0, 100.0) > 2.99  # and it refills
    o = ov.rest("r", True, 100.0, 2.0, ts=0.0)
    assert o.ahead == 5.0
    ov.on_trade(100.0, 3.0, True, ts=1.0)
    assert o.ahead == 2.0 and len(ov.fills) == 2
    ov.on_level(True, 100.0, 5.0, 1.0)  # 3 traded + 1 cancelled out of the 2 left: pro-rata
    assert o.ahead == pytest.approx(1.0)
    ov.on_trade(100.0, 2.0, True, ts=2.0)
    assert ov.fills[-1].oid == "r" and ov.fills[-1].qty == 1.0 and ov.fills[-1].liquidity == "maker"
