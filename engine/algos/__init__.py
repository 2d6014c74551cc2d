"""Execution algorithms: how one venue leg of a parent becomes child orders over time."""
