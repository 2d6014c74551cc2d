"""Execution quality: per-fill and per-parent metrics, alerts, and the report over the fill history."""

from engine.quality.metrics import (
    FillMetrics,
    ParentMetrics,
    fill_metrics,
    parent_metrics,
    shortfall_bps,
    signed_bps,
)
from engine.quality.report import build_report
from engine.quality.tracker import QualityTracker

__all__ = [
    "FillMetrics",
    "ParentMetrics",
    "QualityTracker",
    "build_report",
    "fill_metrics",
    "parent_metrics",
    "shortfall_bps",
    "signed_bps",
]
