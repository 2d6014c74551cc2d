"""Routing: which order type (order_type), which venues (sor), and what venues have cost us (scores)."""
