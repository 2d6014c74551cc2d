"""The order ticket form: turns keystrokes into a Ticket draft; the engine judges it, not this widget."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from textual.app import ComposeResult
from textual.containers import Grid, Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from engine.models import AlgoParams, InputError, Side, Signal, Ticket, to_decimal
from widgets.in_place import set_text
from widgets.ordered_input import OrderedInput

# (engine value, label shown to the trader)
ALGO_CHOICES = (
    ("auto", "auto"),
    ("market", "market"),
    ("limit", "limit"),
    ("twap", "TWAP"),
    ("adaptive", "adaptive TWAP"),
    ("maker", "maker-first"),
    ("drl", "learned policy"),
    ("vwap", "VWAP"),
    ("pov", "POV"),
    ("arrival", "arrival price"),
    ("iceberg", "iceberg"),
    ("sor", "SOR"),
)
TEXT_FIELDS = (
    "symbol", "quantity", "strength", "win_rate", "avg_win", "avg_loss", "limit_price", "algo_params",
)  # fmt: skip
# the engine names some fields differently from the form
FIELD_ALIASES = {
    "qty": "quantity",
    "limit": "limit_price",
    "price": "limit_price",
    "signal_strength": "strength",
    "participation": "algo_params",
    "urgency": "algo_params",
    "display": "algo_params",
    "jitter": "algo_params",
}
LABELS = {"algo_params": "params"}  # as the form names it
# what the params field takes: key=value, the AlgoParams field each sets
PARAM_KEYS = {
    "participation": "participation_pct",
    "urgency": "urgency",
    "display": "display_qty",
    "jitter": "jitter_pct",
}


def parse_algo_params(raw: str, errors: dict[str, str]) -> AlgoParams:
    """`participation=20 urgency=2 display=500 jitter=10` (any subset); the engine judges values."""
    values: dict[str, object] = {}
    for word in raw.replace(",", " ").split():
        key, eq, value = word.partition("=")
        if not eq or key not in PARAM_KEYS:
            errors["algo_params"] = (
                f"{word!r}: expected key=value with key one of {', '.join(PARAM_KEYS)}"
            )
            return AlgoParams()
        try:
            d = to_decimal(value, key, positive=False)
        except InputError as e:
            errors["algo_params"] = f"{key}: {e.message}"
            return AlgoParams()
        values[PARAM_KEYS[key]] = d if key == "display" else float(d)
    return AlgoParams(**values)  # type: ignore[arg-type]


@dataclass(slots=True)
class Draft:
    """The form's current values as strings, kept by the app so a re-layout loses nothing."""

    symbol: str = "AAPL"
    side: str = "buy"
    quantity: str = "100"
    kelly: bool = False
    strength: str = "0.5"
    win_rate: str = ""
    avg_win: str = ""
    avg_loss: str = ""
    limit_price: str = ""
    algo: str = "auto"
    algo_params: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    def to_ticket(self) -> tuple[Ticket | None, dict[str, str]]:
        """Parse what was typed; fields that are not numbers are reported here, the rest by the engine."""
        errors: dict[str, str] = {}

        def num(name: str, raw: str) -> Decimal | None:
            if not raw.strip():
                return None
            try:
                return to_decimal(raw, name, positive=False)
            except InputError as e:
                errors[name] = e.message
                return None

        qty = Decimal(0) if self.kelly else typed_quantity(self.quantity, errors)
        strength = num("strength", self.strength)
        win_rate, avg_win, avg_loss = (
            num(n, getattr(self, n)) for n in ("win_rate", "avg_win", "avg_loss")
        )
        limit = num("limit_price", self.limit_price)
        params = parse_algo_params(self.algo_params, errors)
        if self.kelly and None in (win_rate, avg_win, avg_loss):
            for n in ("win_rate", "avg_win", "avg_loss"):
                if not getattr(self, n).strip():
                    errors.setdefault(n, "needed to size by Kelly")
        if errors or qty is None:
            return None, errors
        signal = Signal(
            strength=float(strength) if strength is not None else 0.5,
            win_rate=float(win_rate) if win_rate is not None else None,
            avg_win=float(avg_win) if avg_win is not None else None,
            avg_loss=float(avg_loss) if avg_loss is not None else None,
        )
        ticket = Ticket(
            self.symbol.strip().upper(),
            Side(self.side),
            qty,
            signal,
            limit,
            self.algo,
            size_by_kelly=self.kelly,
            params=params,
        )
        return ticket, {}


def typed_quantity(raw: str, errors: dict[str, str]) -> Decimal | None:
    """The typed quantity is the order when Kelly is off: empty, garbage or <= 0 is an error."""
    if not raw.strip():
        errors["quantity"] = "is empty: type a quantity, or tick Kelly to size by Kelly"
        return None
    try:
        return to_decimal(raw, "quantity")
    except InputError as e:
        errors["quantity"] = e.message
        return None


def kelly_label(on: bool) -> str:
    """The checkbox says its state in words: a compact checkbox looks alike on and off."""
    return "Kelly ON" if on else "Kelly off"


class OrderTicket(Vertical):
    """Symbol, side, size or Kelly, signal, limit and algorithm; submit stays disabled until valid."""

    class Changed(Message):
        """The draft changed: the app asks the engine for a fresh preview."""

        def __init__(self, draft: Draft) -> None:
            super().__init__()
            self.draft = draft

    class SubmitRequested(Message):
        """The trader pressed submit on a ticket the engine called valid."""

    def __init__(self, draft: Draft, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.draft = draft

    def compose(self) -> ComposeResult:
        d = self.draft
        with Grid(id="ticket-form", classes="ticket-form"):
            yield Label("symbol")
            yield OrderedInput(d.symbol, id="symbol", compact=True, placeholder="e.g. AAPL")
            yield Label("side")
            yield Select(
                [("buy", "buy"), ("sell", "sell")],
                value=d.side,
                allow_blank=False,
                id="side",
                compact=True,
            )
            yield Label("quantity")
            with Horizontal(classes="qty-row"):
                yield OrderedInput(
                    d.quantity, id="quantity", compact=True, placeholder="units", disabled=d.kelly
                )
                yield Checkbox(kelly_label(d.kelly), d.kelly, id="kelly", compact=True)
        # outside the grid: a grid row would not grow to a wrapped message
        yield Static("", id="quantity-error", classes="field-error")
        with Grid(id="ticket-form-signal", classes="ticket-form"):
            yield Label("strength")
            yield OrderedInput(d.strength, id="strength", compact=True, placeholder="0..1")
            yield Label("win rate")
            yield OrderedInput(d.win_rate, id="win_rate", compact=True, placeholder="0..1 (Kelly)")
            yield Label("avg win")
            yield OrderedInput(d.avg_win, id="avg_win", compact=True, placeholder="e.g. 0.02")
            yield Label("avg loss")
            yield OrderedInput(d.avg_loss, id="avg_loss", compact=True, placeholder="e.g. 0.01")
            yield Label("limit")
            yield OrderedInput(
                d.limit_price, id="limit_price", compact=True, placeholder="optional price"
            )
            yield Label("algo")
            yield Select(
                [(label, value) for value, label in ALGO_CHOICES],
                value=d.algo,
                allow_blank=False,
                id="algo",
                compact=True,
            )
            yield Label("params")
            yield OrderedInput(
                d.algo_params,
                id="algo_params",
                compact=True,
                placeholder="participation=20 urgency=2 display=500 jitter=10",
            )
        with Horizontal(classes="ticket-actions"):
            yield Button("Submit ^s", id="submit", variant="primary", disabled=True, compact=True)
            yield Static("", id="ticket-status")
        yield Static("", id="ticket-errors")

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id in TEXT_FIELDS:
            setattr(self.draft, event.input.id, event.value)
            self._changed()

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id in ("side", "algo") and isinstance(event.value, str):
            setattr(self.draft, event.select.id, event.value)
            self._changed()

    def on_mount(self) -> None:
        self.query_one("#kelly", Checkbox).set_class(self.draft.kelly, "-on")

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        self.draft.kelly = event.value
        self.query_one("#quantity", Input).disabled = event.value
        event.checkbox.label = kelly_label(event.value)
        event.checkbox.set_class(event.value, "-on")
        self._changed()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "submit":
            event.stop()
            self.post_message(self.SubmitRequested())

    def _changed(self) -> None:
        self.set_submittable(False, "checking...")
        self.post_message(self.Changed(self.draft))

    def show_errors(self, errors: dict[str, str]) -> None:
        """Mark each bad field and list every message; unknown fields still get their line."""
        errors = {  # an algorithm parameter keeps its own name in the message
            FIELD_ALIASES.get(f, f): f"{f} {m}" if FIELD_ALIASES.get(f) == "algo_params" else m
            for f, m in errors.items()
        }
        for name in TEXT_FIELDS + ("side", "algo"):
            w = self.query_one(f"#{name}")
            bad = name in errors
            w.set_class(bad, "-field-error")
            w.tooltip = errors.get(name)
        under = self.query_one("#quantity-error", Static)  # said where the trader looks
        under.update(f"quantity: {errors['quantity']}" if "quantity" in errors else "")
        under.display = "quantity" in errors
        lines = [f"{LABELS.get(f, f)}: {m}" for f, m in errors.items() if f != "quantity"]
        box = self.query_one("#ticket-errors", Static)
        box.update("\n".join(lines))
        box.display = bool(lines)

    def set_submittable(self, ok: bool, status: str = "") -> None:
        self.query_one("#submit", Button).disabled = not ok
        set_text(self.query_one("#ticket-status", Static), status)  # a layout only if it must
