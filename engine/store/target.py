"""Which history a command or engine opens: `--db` (a path or URL) or the configured `store.url`/`store.path`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.config import Settings
from engine.config.store_url import parse_store_url
from engine.store.core import Store


def history_target(settings: Settings, db: str | Path | None = None) -> str:
    """`db` when given, else the configured URL (SQLite at store.path by default); a SQLite
    history as its plain path, a server as its URL."""
    target = parse_store_url(str(db) if db else settings.store.resolved_url())
    return str(target.path) if target.path is not None else str(db or settings.store.url)


def history_exists(target: str | Path) -> bool:
    """A SQLite file that is not there yet is an empty history (commands do not create it);
    a server database always counts as there (opening it says if it is not)."""
    t = parse_store_url(target)
    return t.is_postgres or (t.path is not None and t.path.exists())


def history_store(settings: Settings, db: str | Path | None = None, **options: Any) -> Store:
    """The store for `db` or the configuration, the password from `store.password_env`."""
    target = history_target(settings, db)
    return Store(
        target,
        password=settings.store.password(),
        batch_max=settings.store.batch_max,
        batch_interval_ms=settings.store.batch_interval_ms,
        reconnect_s=settings.store.reconnect_s,
        **options,
    )
