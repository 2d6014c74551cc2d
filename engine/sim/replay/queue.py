"""Queue position of our resting orders on an L2 recording, in the style of hftbacktest's queue models.

`ahead` is the recorded size in front of our order, in lots; it starts at the level's displayed
size when the order arrives (we join the back of the queue).
- risk_averse (default): only trades at our price move us forward; a level shrinking below what
  we think is ahead of us caps it (the cancellations could all have been behind us).
- prob: a decrease not explained by trades is split between the front and the back of the
  queue with probability back^n / (back^n + front^n) (hftbacktest's power probability model).
A trade larger than the queue ahead fills us with the excess, so fills are partial and the
queue is consumed exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class Resting:
    """One of our orders on the replayed book."""

    oid: str
    side: int  # BID (a buy) or ASK (a sell)
    price: int
    remaining: int
    ahead: float
    traded: float = 0.0  # lots printed at this level since the last depth change


class QueueModel:
    """How the queue ahead of a resting order moves on trades and on level changes."""

    def __init__(self, kind: str = "risk_averse", power: float = 3.0) -> None:
        if kind not in ("risk_averse", "prob"):
            raise ValueError(f"queue model {kind!r}: expected risk_averse or prob")
        self.kind = kind
        self.power = power

    def trade(self, o: Resting, lots: int) -> int:
        """A print of `lots` at our price: the queue ahead goes first; returns lots that fill us."""
        o.ahead -= lots
        o.traded += lots
        if o.ahead < 0:
            fill = min(o.remaining, round(-o.ahead))
            o.ahead = 0.0
            return fill
        return 0

    def depth(self, o: Resting, old: int, new: int) -> None:
        """The displayed size at our price went from `old` to `new` lots."""
        if self.kind == "risk_averse" or new >= old:
            o.ahead = min(o.ahead, float(new))
            o.traded = 0.0
            return
        chg = old - new - o.traded  # the decrease the prints already explained is not counted twice
        o.traded = 0.0
        if chg <= 0:
            o.ahead = min(o.ahead, float(new))
            return
        front = max(o.ahead, 0.0)
        back = max(old - front, 0.0)
        fb, ff = back**self.power, front**self.power
        prob = fb / (fb + ff) if fb + ff > 0 else 1.0
        est = front - (1 - prob) * chg + min(back - prob * chg, 0.0)
        o.ahead = max(0.0, min(est, float(new)))
