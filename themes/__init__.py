"""Colour themes registered by the console at start-up."""

from themes.tranche import THEME_NAMES, THEMES, TRANCHE_DARK, TRANCHE_LIGHT

__all__ = ["THEMES", "THEME_NAMES", "TRANCHE_DARK", "TRANCHE_LIGHT"]
