"""The signal journal: one row per signal id, so the same signal never executes twice, across restarts.

A mixin of the store: it needs only the store's durable write (`_durable`, committed when it
returns) and its dict reads (`_dicts`). The table is schema v6 (engine/store/schema.py).
"""

from __future__ import annotations

from typing import Any

# ON CONFLICT DO NOTHING (not INSERT OR IGNORE): the same words in SQLite and PostgreSQL
SIGNAL_CLAIM = (
    "INSERT INTO signals (signal_id, received_ts, signal_ts, source, symbol, direction, payload,"
    " status, reason, parent_id, claim, updated_ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, '', '', ?, ?)"
    " ON CONFLICT (signal_id) DO NOTHING"
)
SIGNAL_UPDATE = (
    "UPDATE signals SET status = ?, reason = ?, parent_id = ?, updated_ts = ? WHERE signal_id = ?"
)


class SignalRows:
    """Claim a signal id once; record what became of it; read the journal back."""

    async def _durable(self, sql: str, row: tuple[Any, ...]) -> None:
        raise NotImplementedError

    async def _dicts(self, sql: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
        raise NotImplementedError

    async def claim_signal(
        self,
        *,
        signal_id: str,
        received_ts: float,
        signal_ts: float,
        source: str,
        symbol: str,
        direction: str,
        payload: str,
        claim: str,
    ) -> dict[str, Any]:
        """Insert the id as received (committed on return) unless it is known; returns its row.

        The row's `claim` equals `claim` only for the caller that inserted it: everyone else
        (a redelivery, a second engine, a restart) sees a duplicate.
        """
        row = (signal_id, received_ts, signal_ts, source, symbol, direction, payload, "received")
        await self._durable(SIGNAL_CLAIM, (*row, claim, received_ts))
        found = await self._dicts("SELECT * FROM signals WHERE signal_id = ?", (signal_id,))
        return found[0]

    async def update_signal(
        self, signal_id: str, *, status: str, reason: str, parent_id: str, ts: float
    ) -> None:
        """What became of a signal; committed on return (a held signal survives a restart)."""
        await self._durable(SIGNAL_UPDATE, (status, reason, parent_id, ts, signal_id))

    async def signal_rows(
        self, *, status: str | None = None, limit: int = 200
    ) -> list[dict[str, Any]]:
        """Newest first; only `status` if given."""
        if status is None:
            sql = "SELECT * FROM signals ORDER BY received_ts DESC, signal_id LIMIT ?"
            return await self._dicts(sql, (limit,))
        sql = "SELECT * FROM signals WHERE status = ? ORDER BY received_ts DESC, signal_id LIMIT ?"
        return await self._dicts(sql, (status, limit))
