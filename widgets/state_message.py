"""What the header says while trading is not ACTIVE, with the keys that act on it.

The header line itself carries it (red while HALTED): a banner shown only on a kill re-laid out
the whole screen at that moment, so HALTED reached the screen 150-250 ms after the key
(bench.console_ingest) and every pane moved under the trader's eyes.
"""

from __future__ import annotations

from collections.abc import Callable

from engine.models import TradingState


def key_label(keys: str) -> str:
    """The first of a binding's keys as a trader types it: `ctrl+backslash,f12` -> `ctrl+\\`."""
    return keys.split(",")[0].strip().replace("backslash", "\\")


def state_message(state: TradingState, reason: str, key: Callable[[str], str]) -> str:
    """'' while ACTIVE; else what the state means and how to leave it (the trader's own keys)."""
    if state is TradingState.HALTED:
        reset = key_label(key("tranche.reset"))
        return (
            f"HALTED: {reason or 'kill switch'} - only cancels are sent. "
            f"{reset} to reset (asks to confirm)."
        )
    if state is TradingState.REDUCING:
        return f"REDUCING: {reason} - only orders that reduce exposure are sent."
    if state is TradingState.PAUSED:
        resume = key_label(key("tranche.resume"))
        return f"PAUSED: {reason} - nothing new is sent, resting orders stay. {resume} resumes."
    return ""
