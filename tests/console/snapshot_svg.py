"""Snapshots compare what is drawn, not the order in which Rich numbered its style classes.

Rich's SVG export names a class for every style of every segment, including the foreground
of blank cells that draw nothing. Whether such an invisible style exists depends on paint
timing, and one extra style renumbers every class after it: the files then differ while the
screen does not. Canonical form: each element carries its own fill and weight inline.
"""

from __future__ import annotations

import re

import pytest_textual_snapshot

_STYLE_CLASS = re.compile(r"\.terminal-(r\d+) \{ ([^}]*?) \}\n?")
_CLASS_USE = re.compile(r'class="terminal-(r\d+)"')
_rich_normalize = pytest_textual_snapshot.normalize_svg


def canonical_svg(svg: str) -> str:
    """Rich's own normalisation, then every style class replaced by its declaration, inline."""
    svg = _rich_normalize(svg)
    styles = dict(_STYLE_CLASS.findall(svg))
    svg = _CLASS_USE.sub(lambda m: f'style="{styles[m.group(1)]}"', svg)
    return _STYLE_CLASS.sub("", svg)


def install() -> None:
    """Make the snapshot plugin store and compare the canonical form (idempotent)."""
    pytest_textual_snapshot.normalize_svg = canonical_svg
