"""The trading screen: every pane side by side at 120x40, the same panes as tabs on small terminals."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, TabbedContent, TabPane

from widgets.alert_list import AlertList
from widgets.blotter import Blotter
from widgets.execution_progress import ExecutionProgress
from widgets.guardrail_chart import GuardrailChart
from widgets.kelly_preview import KellyPreview
from widgets.kill_switch import KillSwitch
from widgets.latency_chart import LatencyChart
from widgets.log_pane import LogPane
from widgets.market_board import MarketBoard
from widgets.order_book import OrderBook
from widgets.order_ticket import Draft, OrderTicket
from widgets.positions import PositionsPane
from widgets.signals_pane import SignalsPane
from widgets.slippage_chart import SlippageChart
from widgets.sor_legs import SorLegs
from widgets.status_bar import StatusBar
from widgets.venue_scores import VenueScores

# below either size the side-by-side layout no longer fits: panes become tabs
WIDE_MIN_WIDTH = 110
WIDE_MIN_HEIGHT = 34


def is_compact(width: int, height: int) -> bool:
    return width < WIDE_MIN_WIDTH or height < WIDE_MIN_HEIGHT


def titled(widget, title: str):  # type: ignore[no-untyped-def]
    widget.border_title = title
    return widget


class MainScreen(Screen[None]):
    """Composes the panes; the app repaints them from its coalesced state when told `Shown`."""

    class Shown(Message):
        """The panes were composed (or recomposed for a new size): paint them all."""

    def __init__(self, draft: Draft, *, signals: bool = False) -> None:
        super().__init__(id="main")
        self.draft = draft  # the ticket being typed: survives a recompose
        self.signals = signals  # a signal source is configured: the Signals tab is shown
        self.compact = False

    def compose(self) -> ComposeResult:
        self.compact = is_compact(*self.app.size)
        self.set_class(self.compact, "-compact")
        yield StatusBar(id="status")
        if self.compact:
            yield from self._compose_tabs()
        else:
            yield from self._compose_wide()
        yield Footer()

    def _ticket(self) -> OrderTicket:
        return titled(OrderTicket(self.draft, id="ticket", classes="pane"), "Order ticket")

    def _bottom_tabs(self) -> ComposeResult:
        with TabPane("Quality", id="tab-quality"), Horizontal(id="quality"):
            yield titled(SlippageChart(id="slippage-chart", classes="chart"), "Slippage")
            yield titled(LatencyChart(id="latency-chart", classes="chart"), "Latency")
            yield titled(GuardrailChart(id="guardrail-chart", classes="chart"), "Guardrail")
            yield titled(AlertList(id="alerts", classes="pane"), "Alerts")
        with TabPane("Positions", id="tab-positions"):
            yield PositionsPane(id="positions")
        with TabPane("Market", id="tab-market"):
            yield MarketBoard(id="market")
        with TabPane("Blotter", id="tab-blotter"):
            yield Blotter(id="blotter")
        with TabPane("Book", id="tab-book"):
            yield OrderBook(id="book")
        with TabPane("Log", id="tab-log"):
            yield LogPane(id="log")
        if self.signals:
            with TabPane("Signals", id="tab-signals"):
                yield SignalsPane(id="signals")

    def _routing(self) -> ComposeResult:
        yield titled(SorLegs(id="legs", classes="pane"), "SOR legs")
        yield titled(ExecutionProgress(id="progress", classes="pane"), "Execution progress")

    def _safety(self) -> ComposeResult:
        yield titled(KillSwitch(id="kill", classes="pane"), "Kill switch")
        yield titled(VenueScores(id="scores", classes="pane"), "Venue scores")

    def _compose_wide(self) -> ComposeResult:
        with Horizontal(id="top"):
            with Vertical(id="left"):
                yield self._ticket()
                yield titled(KellyPreview(id="preview", classes="pane"), "Kelly preview")
            with Vertical(id="right"):
                yield from self._routing()
                with Horizontal(id="safety"):
                    yield from self._safety()
        with TabbedContent(id="tabs", initial="tab-quality"):
            yield from self._bottom_tabs()

    def _compose_tabs(self) -> ComposeResult:
        with TabbedContent(id="tabs", initial="tab-ticket"):
            with TabPane("Ticket", id="tab-ticket"), Horizontal():
                yield self._ticket()
                yield titled(KellyPreview(id="preview", classes="pane"), "Kelly preview")
            with TabPane("Routing", id="tab-routing"), Vertical():
                yield from self._routing()
            with TabPane("Kill/Scores", id="tab-safety"), Vertical():
                yield from self._safety()
            yield from self._bottom_tabs()

    def on_mount(self) -> None:
        self.post_message(self.Shown())

    async def on_resize(self, event: events.Resize) -> None:
        if is_compact(event.size.width, event.size.height) != self.compact:
            await self.recompose()
            self.post_message(self.Shown())

    def show_tab(self, tab: str) -> None:
        """Bring a tab forward if this layout has it (wide layouts keep some panes always visible)."""
        if self.query(f"#tab-{tab}"):
            self.query_one("#tabs", TabbedContent).active = f"tab-{tab}"
