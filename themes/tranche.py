"""The console's colour themes as Textual Theme objects; .tcss files only use their variables."""

from __future__ import annotations

from textual.theme import Theme

TRANCHE_DARK = Theme(
    name="tranche-dark",
    primary="#4FA3E0",
    secondary="#7E8BD6",
    accent="#E0A04F",
    warning="#E0C34F",
    error="#E0574F",
    success="#5FBF77",
    foreground="#D8DEE9",
    background="#10141A",
    surface="#161B22",
    panel="#1E2530",
    dark=True,
    variables={"footer-key-foreground": "#4FA3E0", "block-cursor-text-style": "bold"},
)

TRANCHE_LIGHT = Theme(
    name="tranche-light",
    primary="#1F5F99",
    secondary="#4B55A0",
    accent="#A3621A",
    warning="#8C6D00",
    error="#B3261E",
    success="#2E7D32",
    foreground="#1B1F24",
    background="#F6F7F9",
    surface="#FFFFFF",
    panel="#E4E8EE",
    dark=False,
    variables={"footer-key-foreground": "#1F5F99", "block-cursor-text-style": "bold"},
)

THEMES = (TRANCHE_DARK, TRANCHE_LIGHT)
THEME_NAMES = tuple(t.name for t in THEMES)
