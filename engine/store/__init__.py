"""The fill history: the order journal, fills and their metrics, denials, events, alerts (SQLite or PostgreSQL)."""

from engine.store.core import Store
from engine.store.errors import StoreError
from engine.store.rows import hour_of_day
from engine.store.schema import LATEST as SCHEMA_VERSION
from engine.store.stats import weighted_median

__all__ = ["SCHEMA_VERSION", "Store", "StoreError", "hour_of_day", "weighted_median"]
