"""Hypothesis over what a trader or a file hands the engine: tickets, command lines, configuration.

Every case either works or is refused with a clear error naming what was wrong (InputError,
ConfigError, a one-line CLI message with exit code 2); nothing escapes as a traceback, and the
engine keeps running with its state intact.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import math
from decimal import Decimal

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.cli import main
from engine.clock import SimClock
from engine.config import ConfigError, Settings, load_settings
from engine.engine import Engine
from engine.models import InputError, Side, Signal, Ticket, TradingState
from engine.sim.venues import build_simulated_venues

FAST = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))

odd_decimals = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True),
    st.sampled_from([Decimal("1e30"), Decimal("-5"), Decimal("0"), Decimal("0.0000001")]),
    st.integers(1, 500).map(Decimal),
)
odd_text = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["AAPL", "BTCUSDT", "aapl", " AAPL ", "ÄPFEL", "\x00", "A" * 300]),
)
tickets = st.builds(
    Ticket,
    symbol=odd_text,
    side=st.sampled_from(list(Side)),
    quantity=odd_decimals,
    signal=st.builds(
        Signal, strength=st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.just(0.5))
    ),
    limit_price=st.one_of(st.none(), odd_decimals),
    algo=st.one_of(
        st.sampled_from(["auto", "market", "limit", "twap", "sor"]), st.text(max_size=8)
    ),
    venue=st.one_of(st.none(), st.sampled_from(["SIM-A", "SIM-Z", ""])),
)


def test_any_ticket_is_previewed_or_refused_and_the_engine_keeps_trading():
    loop = asyncio.new_event_loop()
    clock = SimClock(start=1_700_000_000.0)
    base = Settings()
    s = base.model_copy(update={"sim": base.sim.model_copy(update={"venues": 2})})
    eng = Engine(s, clock, build_simulated_venues(s, clock))
    loop.run_until_complete(eng.start())
    accepted: list[str] = []

    @FAST
    @given(t=tickets)
    def one(t: Ticket) -> None:
        async def go() -> None:
            preview = await eng.preview(t)
            assert all(field and msg for field, msg in preview.errors)
            try:
                pid = await eng.submit(t)
            except InputError as e:
                assert e.field and e.message
                return
            accepted.append(pid)
            await asyncio.wait_for(eng.wait(pid), 600)  # simulated seconds pass in no time

        loop.run_until_complete(go())

    try:
        one()
        assert eng.trading_state is TradingState.ACTIVE
        before = len(eng.parents)
        assert before == len(accepted)  # refused tickets left nothing behind
        pid = loop.run_until_complete(
            eng.submit(Ticket("AAPL", Side.BUY, Decimal(5), algo="market"))
        )
        report = loop.run_until_complete(eng.wait(pid))
        assert report.filled_qty == Decimal(5)
    finally:
        loop.run_until_complete(eng.stop())
        loop.close()


cli_values = st.one_of(
    st.text(max_size=10).filter(lambda v: not v.startswith("-")),
    st.sampled_from(["nan", "inf", "-1", "0", "1e9999", "1,5", "０.５", "buy", "SELL", "x"]),
)


@FAST
@given(side=cli_values, qty=cli_values, limit=st.one_of(st.none(), cli_values), strength=cli_values)
def test_exec_command_lines_fail_with_one_line_and_exit_code_2(
    tmp_path_factory, side, qty, limit, strength
):
    db = tmp_path_factory.mktemp("cli") / "f.db"
    argv = ["exec", "--symbol", "AAPL", "--side", side, "--qty", qty, "--strength", strength,
            "--db", str(db), "--json", "--quiet"]  # fmt: skip
    if limit is not None:
        argv += ["--limit", limit]
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        try:
            rc = main(argv)
        except SystemExit as e:  # argparse's own refusal (e.g. --strength not a float)
            rc = int(e.code or 0)
    if rc == 2:
        lines = [
            ln for ln in err.getvalue().splitlines() if ln.strip() and not ln.startswith("usage")
        ]
        assert lines and "Traceback" not in err.getvalue()
    else:
        assert rc in (0, 1) and out.getvalue().startswith("{")


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8),
    st.sampled_from(["nan", ".inf", "1e999", "ccxt", "simulated", "-1"]),
)  # fmt: skip
SECTIONS = list(Settings.model_fields)
FIELDS = sorted({f for sec in SECTIONS for f in Settings.model_fields[sec].annotation.model_fields})
documents = st.one_of(
    st.dictionaries(
        st.one_of(st.sampled_from(SECTIONS), st.text(max_size=6)),
        st.one_of(
            scalars,
            st.dictionaries(
                st.one_of(st.sampled_from(FIELDS), st.text(max_size=6)), scalars, max_size=4
            ),
            st.lists(scalars, max_size=3),
        ),
        max_size=4,
    ),
    scalars,
    st.lists(scalars, max_size=3),
)


@FAST
@given(doc=documents, raw=st.one_of(st.none(), st.text(max_size=40)))
def test_any_configuration_file_loads_or_names_the_bad_key(tmp_path_factory, doc, raw):
    path = tmp_path_factory.mktemp("cfg") / "c.yaml"
    path.write_text(raw if raw is not None else yaml.safe_dump(doc), encoding="utf-8")
    try:
        s = load_settings(path, environ={})
    except ConfigError as e:
        assert str(e).strip() and "c.yaml" in str(e)
        return
    assert isinstance(s, Settings)
    assert math.isfinite(s.sim.speed) and s.sim.venues > 0
