"""TWS API wire format (length-prefixed, NUL-separated fields) and the fake exchange's records.

The message layouts built from these records are in tws_messages.py.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

SERVER_VERSION = 178
"""The one protocol version the loopback TWS speaks; ib-async must accept it (a guard test checks)."""

HANDSHAKE_PREFIX = b"API\0"

Field = str | int | float | bool | None


def text(value: Field) -> str:
    """A value as TWS writes it: bools as 1/0, None as empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def frame(*fields: Field) -> bytes:
    """One message: 4-byte big-endian length, then NUL-terminated text fields."""
    body = b"".join(text(f).encode() + b"\0" for f in fields)
    return struct.pack(">I", len(body)) + body


def split_fields(body: bytes) -> list[str]:
    """The fields of one message body (without its length prefix)."""
    parts = body.decode(errors="backslashreplace").split("\0")
    return parts[:-1] if parts and parts[-1] == "" else parts


@dataclass
class FakeContract:
    """A stock as the fake exchange lists it."""

    symbol: str
    con_id: int
    bid: float = 100.0
    ask: float = 100.02
    bid_size: float = 300.0
    ask_size: float = 400.0
    last: float = 100.01
    min_tick: float = 0.01
    exchange: str = "SMART"
    primary_exchange: str = "NASDAQ"
    currency: str = "USD"
    long_name: str = ""
    data_error: int = 0  # IB error a market data request gets (354 not subscribed, 10167 delayed)

    def values(self, exchange: str | None = None) -> dict[str, Field]:
        """The contract fields of openOrder, execDetails and position messages, by decoder name."""
        ex = self.exchange if exchange is None else exchange
        return {
            **{"conId": self.con_id, "symbol": self.symbol, "secType": "STK", "strike": 0.0},
            **{"exchange": ex, "primaryExchange": self.primary_exchange, "currency": self.currency},
            **{"localSymbol": self.symbol, "tradingClass": "NMS"},
        }


@dataclass
class FakeOrder:
    """One order the fake exchange holds."""

    client_id: int
    order_id: int
    perm_id: int
    contract: FakeContract
    action: str
    quantity: float
    order_type: str
    limit_price: float | None
    tif: str
    account: str
    order_ref: str
    status: str = "Submitted"
    aux_price: float = 0.0  # the stop trigger of a STP LMT
    oca_group: str = ""
    oca_type: int = 0
    display_size: int = 0  # 0: all of it shows
    filled: float = 0.0
    avg_price: float = 0.0
    last_price: float = 0.0
    exec_ids: list[str] = field(default_factory=list)

    @property
    def remaining(self) -> float:
        return self.quantity - self.filled

    @property
    def shown(self) -> float:
        """What the book shows of it: the display size of an iceberg, nothing of an untriggered stop."""
        if self.done or self.order_type != "LMT":
            return 0.0
        return min(self.display_size, self.remaining) if self.display_size else self.remaining

    @property
    def done(self) -> bool:
        return self.status in ("Filled", "Cancelled", "ApiCancelled", "Inactive")


@dataclass
class FakeExecution:
    exec_id: str
    order: FakeOrder
    shares: float
    price: float
    cum_qty: float
    avg_price: float
    time: str
    commission: float
    liquidity: int  # 1 added (maker), 2 removed (taker)
