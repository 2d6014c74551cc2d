"""What the trader confirms is what is sent: the dialog's legs run as shown, or the trader is asked again."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from textual.widgets import Button

from console.app import TrancheApp
from console.screens.confirm import ConfirmModal
from tests.console.conftest import (
    fill_ticket,
    open_dialog,
    screen_text,
    settle,
    started,
    until,
)
from widgets.format import figure as fmt


def sent_per_venue(app: TrancheApp, pid: str) -> dict[str, Decimal]:
    out: dict[str, Decimal] = defaultdict(Decimal)
    for cid in app.engine.parents[pid].children:
        c = app.engine.children[cid]
        out[c.venue] += c.quantity
    return dict(out)


def spread_half(app: TrancheApp, venue: str, bps: str) -> None:
    """Change one paper venue's spread around the same mid: the 1/spread split would change."""
    app.engine.brokers[venue].set_spread_bps(bps)  # type: ignore[attr-defined]


async def test_sor_children_sent_per_venue_equal_the_confirmed_legs(
    console_app: TrancheApp,
) -> None:
    app = console_app
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        # strength above the market threshold: every leg crosses at once, one child per venue
        await fill_ticket(app, pilot, qty="12000", algo="sor", strength="0.95")
        confirmed = {leg.venue: leg.quantity for leg in app.preview.plan.legs}
        assert len(confirmed) > 1
        await open_dialog(app, pilot)
        body = screen_text(app)
        for venue, qty in confirmed.items():
            assert venue in body and fmt(qty) in body
        # the book changes after the dialog opened, mids unchanged: a re-plan would split otherwise
        spread_half(app, "V3", "0.5")
        spread_half(app, "V0", "30")
        await pilot.press("y")
        await settle(app, pilot)
        assert len(app.engine.parents) == 1
        pid = next(iter(app.engine.parents))
        await app.engine.wait(pid)
        assert sent_per_venue(app, pid) == confirmed
        assert {leg.venue: leg.quantity for leg in app.engine.legs[pid]} == confirmed


async def test_a_single_venue_plan_runs_on_the_confirmed_venue(console_app: TrancheApp) -> None:
    app = console_app
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        await fill_ticket(app, pilot, qty="500", algo="market")
        (leg,) = app.preview.plan.legs
        await open_dialog(app, pilot)
        assert "MARKET (chosen)" in screen_text(app)
        other = next(v for v in app.engine.brokers if v != leg.venue)
        spread_half(app, leg.venue, "8")  # now another venue is the tightest
        spread_half(app, other, "0.5")
        await pilot.press("y")
        await settle(app, pilot)
        pid = next(iter(app.engine.parents))
        await app.engine.wait(pid)
        assert sent_per_venue(app, pid) == {leg.venue: Decimal(500)}


async def test_a_price_move_past_tolerance_asks_again_showing_what_changed(
    console_app: TrancheApp,
) -> None:
    app = console_app
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        await fill_ticket(app, pilot, qty="500", algo="market")
        (leg,) = app.preview.plan.legs
        await open_dialog(app, pilot)
        for b in app.engine.brokers.values():  # every mid up 1%: 100 bps > the 25 bps tolerance
            b.move_mid("AAPL", "1.01")  # type: ignore[attr-defined]
        await pilot.press("y")
        await settle(app, pilot)
        await until(app, pilot, lambda: isinstance(app.screen, ConfirmModal))
        assert not app.engine.parents  # nothing was sent on the stale plan
        body = screen_text(app)
        assert "market changed" in body and "price moved" in body and leg.venue in body
        assert "tolerance 25" in body
        again = app.screen.query_one("#confirm-yes", Button)
        assert not again.disabled
        await pilot.press("y")
        await settle(app, pilot)
        assert len(app.engine.parents) == 1
        pid = next(iter(app.engine.parents))
        await app.engine.wait(pid)
        assert sum(sent_per_venue(app, pid).values()) == Decimal(500)


async def test_a_leg_venue_down_at_send_is_asked_again_not_rerouted(
    console_app: TrancheApp,
) -> None:
    app = console_app
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        await fill_ticket(app, pilot, qty="500", algo="market")
        (leg,) = app.preview.plan.legs
        await open_dialog(app, pilot)
        app.engine.venue_connected[leg.venue] = False
        await pilot.press("y")
        await settle(app, pilot)
        await until(app, pilot, lambda: isinstance(app.screen, ConfirmModal))
        assert not app.engine.parents
        body = screen_text(app)
        assert f"{leg.venue}: venue down" in body
        await pilot.press("n")
        await settle(app, pilot)
        assert not app.engine.parents
