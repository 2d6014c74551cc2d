"""Which recordings a parent traded on: set from the command line, noted in the history for what-if."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from engine.config import Settings
from engine.models import InputError

EVENT_KIND = "replay_parent"


def with_replay(settings: Settings, files: str | None, start: str | None) -> Settings:
    """Settings trading on `files` (comma-separated) from `start`; unchanged when neither is given."""
    if files is None:
        if start is not None:
            raise InputError("start", "--start needs --replay FILE[,FILE...]")
        return settings
    paths = [f.strip() for f in files.split(",") if f.strip()]
    if not paths:
        raise InputError("replay", "expected FILE[,FILE...], got nothing")
    for p in paths:
        if not Path(p).expanduser().is_file():
            raise InputError("replay", f"{p}: no such file")
    resolved = [str(Path(p).expanduser().resolve()) for p in paths]
    replay = settings.replay.model_copy(
        update={"files": resolved, "start": start if start is not None else settings.replay.start}
    )
    broker = settings.broker.model_copy(update={"provider": "replay"})
    return settings.model_copy(update={"replay": replay, "broker": broker})


def with_replay_symbols(settings: Settings) -> Settings:
    """The console watches and tickets the recorded symbols instead of the synthetic ones."""
    if settings.broker.provider != "replay":
        return settings
    from engine.sim.data.cache import load

    cfg = settings.replay
    symbols = list(
        dict.fromkeys(load(f, cfg.cache_dir or None).recording.symbol for f in cfg.files)
    )
    return settings.model_copy(update={"sim": settings.sim.model_copy(update={"symbols": symbols})})


class _Recorder(Protocol):
    def record_event(self, *, ts: float, kind: str, payload: dict[str, Any]) -> None: ...


class _Engine(Protocol):
    @property
    def store(self) -> Any: ...

    @property
    def clock(self) -> Any: ...


def note_replay(engine: _Engine, settings: Settings, parent_id: str) -> None:
    """Remember in the history that this parent ran on these recordings (what-if re-runs them)."""
    store: _Recorder | None = engine.store
    if settings.broker.provider != "replay" or store is None:
        return
    store.record_event(
        ts=engine.clock.now(),
        kind=EVENT_KIND,
        payload={
            "parent_id": parent_id,
            "files": list(settings.replay.files),
            "names": list(settings.replay.names),
        },
    )


def recorded_files(events: list[dict[str, Any]], parent_id: str) -> list[str] | None:
    """The files a parent ran on, from the history's replay events; None if it ran elsewhere."""
    import json

    for e in events:
        payload = e.get("payload")
        if isinstance(payload, str):
            payload = json.loads(payload)
        if isinstance(payload, dict) and payload.get("parent_id") == parent_id:
            return [str(f) for f in payload.get("files", [])]
    return None
