"""SQLite persistence: the order journal, fills and their metrics, denials, events, alerts."""

from engine.store.core import Store
from engine.store.rows import hour_of_day
from engine.store.schema import LATEST as SCHEMA_VERSION
from engine.store.stats import weighted_median
from engine.store.writer import StoreError

__all__ = ["SCHEMA_VERSION", "Store", "StoreError", "hour_of_day", "weighted_median"]
