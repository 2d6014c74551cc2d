"""The versioned schema: each migration moves the file one version up; `PRAGMA user_version` says where it is.

Decimals are TEXT (exact round trip); REAL copies exist only where SQL has to aggregate.
Never edit a released migration: append a new one.
"""

from __future__ import annotations

V1 = """
CREATE TABLE parents (
    parent_id TEXT PRIMARY KEY,
    symbol TEXT NOT NULL,
    side TEXT NOT NULL,
    quantity TEXT NOT NULL,
    algo TEXT NOT NULL,
    arrival_mid TEXT NOT NULL,
    created_ts REAL NOT NULL,
    status TEXT NOT NULL,
    filled_qty TEXT NOT NULL,
    notional_filled TEXT NOT NULL,
    fees TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    shortfall_bps REAL,
    ticket TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE children (
    client_order_id TEXT PRIMARY KEY,
    parent_id TEXT NOT NULL,
    venue TEXT NOT NULL,
    symbol TEXT NOT NULL,
    side TEXT NOT NULL,
    quantity TEXT NOT NULL,
    order_type TEXT NOT NULL,
    limit_price TEXT,
    tif TEXT NOT NULL,
    post_only INTEGER NOT NULL,
    status TEXT NOT NULL,
    filled_qty TEXT NOT NULL,
    avg_price TEXT,
    venue_order_id TEXT,
    created_ts REAL NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    meta TEXT NOT NULL DEFAULT '{}',
    fees TEXT NOT NULL DEFAULT '0'
);
CREATE INDEX children_parent ON children(parent_id);
CREATE INDEX children_status ON children(status);
CREATE TABLE fills (
    venue TEXT NOT NULL,
    fill_id TEXT NOT NULL,
    client_order_id TEXT NOT NULL,
    parent_id TEXT NOT NULL,
    algo TEXT NOT NULL,
    symbol TEXT NOT NULL,
    side TEXT NOT NULL,
    quantity TEXT NOT NULL,
    price TEXT NOT NULL,
    fee TEXT NOT NULL,
    liquidity TEXT NOT NULL DEFAULT '',
    ts REAL NOT NULL,
    notional REAL NOT NULL,
    slippage_bps REAL NOT NULL,
    arrival_slippage_bps REAL NOT NULL,
    latency_ms REAL NOT NULL,
    PRIMARY KEY (venue, fill_id)
);
CREATE INDEX fills_ts ON fills(ts);
CREATE TABLE denials (
    id INTEGER PRIMARY KEY,
    ts REAL NOT NULL,
    client_order_id TEXT NOT NULL,
    venue TEXT NOT NULL,
    symbol TEXT NOT NULL,
    check_name TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    ts REAL NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL
);
"""

# v2: alerts, per-parent metrics, and the fill's hour of day (UTC) so the learned
# figures can use an index instead of scanning a month of fills.
V2 = """
CREATE TABLE alerts (
    id INTEGER PRIMARY KEY,
    ts REAL NOT NULL,
    kind TEXT NOT NULL,
    message TEXT NOT NULL,
    value REAL NOT NULL,
    threshold REAL NOT NULL,
    venue TEXT NOT NULL DEFAULT '',
    symbol TEXT NOT NULL DEFAULT ''
);
CREATE INDEX alerts_ts ON alerts(ts);
CREATE TABLE parent_metrics (
    parent_id TEXT PRIMARY KEY,
    algo TEXT NOT NULL,
    shortfall_bps REAL,
    fill_rate REAL NOT NULL,
    duration_s REAL NOT NULL,
    venues TEXT NOT NULL,
    fallback_share REAL,
    fees TEXT NOT NULL,
    filled_qty TEXT NOT NULL,
    quantity TEXT NOT NULL
);
ALTER TABLE fills ADD COLUMN hour INTEGER NOT NULL DEFAULT 0;
UPDATE fills SET hour = CAST(ts / 3600 AS INTEGER) % 24;
CREATE INDEX fills_symbol_hour ON fills(symbol, hour, ts);
CREATE INDEX parents_created ON parents(created_ts);
"""

# A fill id the venue reused for a different execution must fail loudly, never be dropped:
# INSERT OR IGNORE still skips the true duplicate (same order, price and quantity).
V3 = """
CREATE TRIGGER fills_conflict BEFORE INSERT ON fills
WHEN EXISTS (
    SELECT 1 FROM fills WHERE venue = NEW.venue AND fill_id = NEW.fill_id
    AND (client_order_id <> NEW.client_order_id OR price <> NEW.price
         OR quantity <> NEW.quantity)
)
BEGIN
    SELECT RAISE(ABORT, 'fill conflict: this venue already reported this fill id for another order, price or quantity');
END;
"""

# The process running a parent (host:pid), so a second engine on the history never adopts it.
V4 = """
ALTER TABLE parents ADD COLUMN owner TEXT NOT NULL DEFAULT '';
"""

# `tranche store migrate` resumes where it stopped: each page is committed with its progress.
V5 = """
CREATE TABLE store_migrations (
    source TEXT NOT NULL,
    tbl TEXT NOT NULL,
    last_key TEXT NOT NULL,
    rows INTEGER NOT NULL,
    PRIMARY KEY (source, tbl)
);
"""

# Signals in (engine/signals/): one row per signal id, so a redelivered or re-sent signal never
# executes twice, across restarts; `claim` tells the one inserter from everyone who came later.
V6 = """
CREATE TABLE signals (
    signal_id TEXT PRIMARY KEY,
    received_ts REAL NOT NULL,
    signal_ts REAL NOT NULL,
    source TEXT NOT NULL,
    symbol TEXT NOT NULL,
    direction TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    parent_id TEXT NOT NULL DEFAULT '',
    claim TEXT NOT NULL,
    updated_ts REAL NOT NULL
);
CREATE INDEX signals_received ON signals(received_ts);
CREATE INDEX signals_status ON signals(status);
"""

# The report's columns of the fills, packed (engine/store/fill_blocks.py): one row per block of
# fills in rowid order. Derived data: any UPDATE or DELETE of a fill bumps the epoch, and blocks
# of an older epoch are never read (the next report packs them again).
V7 = """
CREATE TABLE fill_blocks (
    first_rowid INTEGER PRIMARY KEY,
    last_rowid INTEGER NOT NULL,
    epoch INTEGER NOT NULL,
    rows INTEGER NOT NULL,
    ts_min REAL NOT NULL,
    ts_max REAL NOT NULL,
    labels TEXT NOT NULL,
    data BLOB NOT NULL
);
CREATE TABLE fill_blocks_epoch (epoch INTEGER NOT NULL);
INSERT INTO fill_blocks_epoch VALUES (0);
CREATE TRIGGER fills_updated_stale_blocks AFTER UPDATE ON fills
BEGIN
    UPDATE fill_blocks_epoch SET epoch = epoch + 1;
END;
CREATE TRIGGER fills_deleted_stale_blocks AFTER DELETE ON fills
BEGIN
    UPDATE fill_blocks_epoch SET epoch = epoch + 1;
END;
"""

# Following other processes' fills (engine/execution/fill_follow.py) reads them in rowid order,
# which SQLite already has; PostgreSQL's v8 adds its write sequence. Same version on both.
V8 = "SELECT 1;"

# PostgreSQL's v9 packs the report's columns there too (pg_schema.py); SQLite has had its blocks
# since v7: a step that changes nothing keeps both schemas at the same version number.
V9 = "SELECT 1;"

MIGRATIONS: tuple[str, ...] = (V1, V2, V3, V4, V5, V6, V7, V8, V9)
LATEST = len(MIGRATIONS)


def pending(version: int) -> list[tuple[int, str]]:
    """The migrations a file at `version` still needs, as (new version, script)."""
    if version > LATEST:
        raise RuntimeError(
            f"database schema version {version} is newer than this build ({LATEST}): upgrade tranche"
        )
    return [(v + 1, MIGRATIONS[v]) for v in range(version, LATEST)]
