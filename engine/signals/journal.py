"""Where signal ids are journalled: the engine's store, or memory when it runs without one."""

from __future__ import annotations

import os
import socket
from typing import Any, Protocol

from engine.signals.message import SignalIn


class Journal(Protocol):
    async def claim_signal(self, **row: Any) -> dict[str, Any]: ...

    async def update_signal(
        self, signal_id: str, *, status: str, reason: str, parent_id: str, ts: float
    ) -> None: ...

    async def signal_rows(
        self, *, status: str | None = None, limit: int = 200
    ) -> list[dict[str, Any]]: ...


class MemoryJournal:
    """The same contract in memory: duplicates are caught within one process only (no store)."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}

    async def claim_signal(self, **row: Any) -> dict[str, Any]:
        sid = row["signal_id"]
        if sid not in self.rows:
            updated = row["received_ts"]
            self.rows[sid] = {**row, "status": "received", "reason": "", "parent_id": ""}
            self.rows[sid]["updated_ts"] = updated
        return dict(self.rows[sid])

    async def update_signal(
        self, signal_id: str, *, status: str, reason: str, parent_id: str, ts: float
    ) -> None:
        row = self.rows[signal_id]
        row.update(status=status, reason=reason, parent_id=parent_id, updated_ts=ts)

    async def signal_rows(
        self, *, status: str | None = None, limit: int = 200
    ) -> list[dict[str, Any]]:
        rows = [r for r in self.rows.values() if status is None or r["status"] == status]
        rows.sort(key=lambda r: (-r["received_ts"], r["signal_id"]))
        return [dict(r) for r in rows[:limit]]


def claim_token() -> str:
    """Unique to this claim: only the inserter of a row finds its own token in it."""
    return f"{socket.gethostname()}:{os.getpid()}:{os.urandom(6).hex()}"


def claim_row(sig: SignalIn, *, source: str, received_ts: float) -> dict[str, Any]:
    return {
        "signal_id": sig.id,
        "received_ts": received_ts,
        "signal_ts": sig.ts,
        "source": source,
        "symbol": sig.symbol,
        "direction": sig.direction,
        "payload": sig.model_dump_json(),
        "claim": claim_token(),
    }
