"""Every console action: one binding with a stable id, listed in the palette and on the help screen."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding, BindingType


@dataclass(frozen=True, slots=True)
class ActionSpec:
    """One trader action: the id users remap in a keymap, its default key, and what it does."""

    id: str
    key: str
    action: str
    title: str
    help: str
    show: bool = True
    priority: bool = False


# No text field binds these (Input binds ctrl+k delete-to-end and ctrl+x cut), so the kill
# switch answers from every focus and typing can never trigger it; each has an F-key spare.
KILL_KEYS = "ctrl+backslash,f12"
CANCEL_KEYS = "f8"

ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec(
        "tranche.kill",
        KILL_KEYS,
        "kill",
        "Kill switch",
        "HALT trading and cancel every open order on every venue",
        priority=True,
    ),
    ActionSpec(
        "tranche.reset",
        "ctrl+r",
        "reset",
        "Reset to ACTIVE",
        "Return from HALTED to ACTIVE (asks for confirmation)",
        priority=True,
    ),
    ActionSpec(
        "tranche.pause",
        "f9",
        "pause",
        "Pause trading",
        "Send nothing new; resting orders stay",
        show=False,
        priority=True,
    ),
    ActionSpec(
        "tranche.resume",
        "f10",
        "resume",
        "Resume trading",
        "PAUSED back to ACTIVE; parents go on",
        show=False,
        priority=True,
    ),
    ActionSpec(
        "tranche.flatten",
        "f11",
        "flatten",
        "Flatten positions",
        "HALT, then close every position (asks)",
        show=False,
        priority=True,
    ),
    ActionSpec(
        "tranche.submit",
        "ctrl+s",
        "submit",
        "Submit ticket",
        "Send the order ticket (asks for confirmation)",
        priority=True,
    ),
    ActionSpec(
        "tranche.focus_ticket",
        "ctrl+t",
        "focus_ticket",
        "Focus ticket",
        "Move to the order ticket's symbol field",
        priority=True,
    ),
    ActionSpec(
        "tranche.cancel_last",
        CANCEL_KEYS,
        "cancel_last",
        "Cancel parent",
        "Cancel the newest working parent order",
        priority=True,
    ),
    ActionSpec(
        "tranche.protect",
        "f5",
        "protect",
        "Protect last fill",
        "Stop-loss on the newest filled parent (native OCO where the venue has one)",
        priority=True,
    ),
    ActionSpec(
        "tranche.flatten_symbol",
        "f7",
        "flatten_symbol",
        "Flatten symbol",
        "Close the ticket symbol's position at market (asks)",
        priority=True,
    ),
    ActionSpec(
        "tranche.blotter",
        "ctrl+b",
        "show_tab('blotter')",
        "Blotter",
        "Show the blotter (orders and fills)",
        priority=True,
    ),
    ActionSpec(
        "tranche.quality",
        "ctrl+g",
        "show_tab('quality')",
        "Quality",
        "Show the execution-quality charts and alerts",
        priority=True,
    ),
    ActionSpec(
        "tranche.positions",
        "f6",
        "show_tab('positions')",
        "Positions",
        "Show positions and P&L per symbol and venue",
        priority=True,
    ),
    ActionSpec(
        "tranche.market",
        "ctrl+n",
        "show_tab('market')",
        "Market",
        "Show every venue's quote for the ticket's symbol",
        priority=True,
    ),
    ActionSpec(
        "tranche.book",
        "ctrl+o",
        "show_tab('book')",
        "Order book",
        "Show the order book of the ticket's symbol",
        priority=True,
    ),
    ActionSpec(
        "tranche.log", "ctrl+l", "show_tab('log')", "Log", "Show the log pane", priority=True
    ),
    ActionSpec(
        "tranche.signals",
        "f2",
        "show_tab('signals')",
        "Signals",
        "Show incoming signals and the held ones",
        priority=True,
    ),
    ActionSpec(
        "tranche.signal_accept",
        "f3",
        "signal_accept",
        "Accept signal",
        "Send the held signal under the cursor",
        priority=True,
    ),
    ActionSpec(
        "tranche.signal_reject",
        "f4",
        "signal_reject",
        "Reject signal",
        "Drop the held signal under the cursor",
        priority=True,
    ),
    ActionSpec(
        "tranche.theme",
        "ctrl+y",
        "toggle_theme",
        "Toggle theme",
        "Switch between tranche-dark and tranche-light",
        priority=True,
    ),
    ActionSpec(
        "tranche.help", "question_mark,f1", "help", "Help", "Show every key binding", priority=False
    ),
    ActionSpec(
        "tranche.quit", "ctrl+q", "quit", "Quit", "Stop the engine and leave", priority=True
    ),
)


# Tab is the screen's binding by default: it runs only after the key has bubbled up from the
# focused field, so a key typed in that gap lands in the field being left. As app priority
# bindings the focus moves before the next key is routed.
FOCUS_KEYS: tuple[BindingType, ...] = (
    Binding("tab", "focus_next", "Focus next", show=False, priority=True),
    Binding("shift+tab", "focus_previous", "Focus previous", show=False, priority=True),
)


def app_bindings() -> list[BindingType]:
    return [
        Binding(a.key, a.action, a.title, show=a.show, priority=a.priority, id=a.id, tooltip=a.help)
        for a in ACTIONS
    ] + list(FOCUS_KEYS)


def by_id(action_id: str) -> ActionSpec:
    return next(a for a in ACTIONS if a.id == action_id)
