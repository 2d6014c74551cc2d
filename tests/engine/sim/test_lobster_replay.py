"""LOBSTER replay check: the fast level edit must judge every row exactly as a full comparison does."""

from __future__ import annotations

import random
from typing import Any

from engine.sim.data.lobster import EMPTY_ASK, EMPTY_BID
from engine.sim.data.replay import LobsterReplay, replay_file

Side = list[tuple[int, int]]


def full_comparison(rows: list[Any]) -> tuple[dict[int, int], dict[int, int], int, int]:
    """The check spelled out: rebuild both sides from the last row, apply the message, compare."""

    def differs(ours: Side, theirs: Side, levels: int) -> bool:
        k = min(len(ours), len(theirs))
        return ours[:k] != theirs[:k] or (len(theirs) < levels and len(ours) > len(theirs))

    bids, asks = dict(rows[0][6]), dict(rows[0][7])
    prev_b, prev_a = rows[0][6], rows[0][7]
    compared = mismatches = 0
    for _, typ, _, size, price, direction, rb, ra, levels in rows[1:]:
        if typ > 4:
            continue
        compared += 1
        is_bid = direction == 1
        side, row, other, prev_other = (bids, rb, ra, prev_a) if is_bid else (asks, ra, rb, prev_b)
        q = side.get(price, 0) + (size if typ == 1 else -size)
        if q > 0:
            side[price] = q
        else:
            side.pop(price, None)
        bad = side != dict(row) and differs(sorted(side.items(), reverse=is_bid), row, levels)
        bad = (other != prev_other and differs(prev_other, other, levels)) or bad
        mismatches += bad
        bids, asks, prev_b, prev_a = dict(rb), dict(ra), rb, ra
    return bids, asks, compared, mismatches


def _window(book: dict[int, int], levels: int, is_bid: bool) -> Side:
    return sorted(book.items(), reverse=is_bid)[:levels]


def _corrupt(rng: random.Random, side: Side, prev: Side) -> Side:
    s = list(side)
    kind = rng.randrange(6)
    if kind == 0 and s:  # a size the message does not explain
        i = rng.randrange(len(s))
        s[i] = (s[i][0], s[i][1] + rng.choice((-1, 1, 7)))
    elif kind == 1 and s:  # a level missing
        del s[rng.randrange(len(s))]
    elif kind == 2 and len(s) > 1:  # out of order
        i = rng.randrange(len(s) - 1)
        s[i], s[i + 1] = s[i + 1], s[i]
    elif kind == 3 and s:  # the same price twice
        s[-1] = (s[0][0], s[-1][1])
    elif kind == 4 and s:  # an empty level
        s[-1] = (s[-1][0], 0)
    else:  # the message not applied at all
        s = list(prev)
    return s


def _random_rows(rng: random.Random, n: int, levels: int) -> list[Any]:
    """A random book's top `levels` after each message, a few rows corrupted and a few messages odd."""
    bids = {1000 - i: rng.randint(1, 9) for i in range(6)}
    asks = {1001 + i: rng.randint(1, 9) for i in range(6)}
    rows = [(0.0, 1, 0, 0, 0, 1, _window(bids, levels, True), _window(asks, levels, False), levels)]
    for k in range(1, n):
        is_bid = rng.random() < 0.5
        side = bids if is_bid else asks
        best = max(bids) if is_bid else min(asks)
        typ = rng.choice((1, 1, 1, 2, 3, 4, 5, 7))
        if typ == 1:
            price = best + (rng.randint(-6, 0) if is_bid else rng.randint(0, 6))
            if price in (asks if is_bid else bids):
                price = best
            size = rng.choice((0, 1, 2, 5))
            if size:
                side[price] = side.get(price, 0) + size
        else:
            price = rng.choice(list(side)) if rng.random() < 0.95 else best + 50
            have = side.get(price, 0)
            size = rng.choice((have, max(1, have - 1), have + 2, 1))
            if typ <= 4 and have:
                left = have - size
                if left > 0:
                    side[price] = left
                elif len(side) > 1:
                    del side[price]
        rb, ra = _window(bids, levels, True), _window(asks, levels, False)
        if rng.random() < 0.15:
            prev = rows[-1]
            if rng.random() < 0.5:
                rb = _corrupt(rng, rb, prev[6])
            else:
                ra = _corrupt(rng, ra, prev[7])
        rows.append((float(k), typ, k, size, price, 1 if is_bid else -1, rb, ra, levels))
    return rows


def test_every_row_is_judged_as_the_full_comparison_judges_it():
    for seed in range(60):
        rng = random.Random(seed)
        rows = _random_rows(rng, 300, levels=1 + seed % 4)
        bids, asks, compared, mismatches = full_comparison(rows)
        assert mismatches > 0  # the corruptions are there to be caught
        whole, one_by_one = LobsterReplay(), LobsterReplay()
        whole.run(rows)
        for row in rows:
            one_by_one.feed(row)
        for rep in (whole, one_by_one):
            assert (rep.res.compared, rep.res.mismatches) == (compared, mismatches), seed
            assert (rep.bids, rep.asks) == (bids, asks), seed


def _pair(tmp_path, messages: list[str], rows: list[tuple[Side, Side]], levels: int) -> str:
    """A tiny LOBSTER message/orderbook pair; rows are (bids, asks) best first."""
    lines = []
    for b, a in rows:
        b = b + [(EMPTY_BID, 0)] * (levels - len(b))
        a = a + [(EMPTY_ASK, 0)] * (levels - len(a))
        lines.append(
            ",".join(f"{ap},{aq},{bp},{bq}" for (ap, aq), (bp, bq) in zip(a, b, strict=True))
        )
    m = tmp_path / "TEST_2020-01-02_0_1_message_2.csv"
    m.write_text("".join(x + "\n" for x in messages))
    (tmp_path / "TEST_2020-01-02_0_1_orderbook_2.csv").write_text("".join(x + "\n" for x in lines))
    return str(m)


def test_window_edge_rows_are_checked_not_trusted(tmp_path):
    asks = [(2000, 5), (2100, 5)]
    msgs = [
        "1.0,1,1,10,1000,1",  # the starting book
        "2.0,1,2,4,1050,1",  # a new best bid: 990 falls out of the 2-level window
        "3.0,1,3,4,1040,1",  # between 1050 and 1000, but the data drops 1050 instead of 1000
        "4.0,3,3,4,1040,1",  # 1040 gone and 990 enters at the edge: fine
        "5.0,3,1,1,1000,1",  # 1 share off 1000, but the data also takes one off 990
        "6.0,4,9,5,2000,-1",  # the best ask executed (2200 enters); the bids move too
    ]
    rows = [
        ([(1000, 10), (990, 3)], asks),
        ([(1050, 4), (1000, 10)], asks),
        ([(1040, 4), (1000, 10)], asks),
        ([(1000, 10), (990, 3)], asks),
        ([(1000, 9), (990, 2)], asks),
        ([(1000, 9), (990, 3)], [(2100, 5), (2200, 1)]),
    ]
    res = replay_file(_pair(tmp_path, msgs, rows, levels=2))
    assert (res.compared, res.mismatches) == (5, 3)
    assert res.first_mismatch.startswith("t=3.0: message 1 at 1040")
