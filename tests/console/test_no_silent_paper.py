"""Issue 20 defect 3: with no venue reachable, exec stops in the connect timeout; paper only if asked."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time

import pytest

EXEC = [
    sys.executable,
    "-m",
    "console.cli",
    "exec",
    "--symbol",
    "AAPL",
    "--side",
    "buy",
    "--qty",
    "10",
]


@pytest.fixture
def silent_port():
    """A loopback port that accepts connections and never answers a byte: a hung exchange."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    yield s.getsockname()[1]
    s.close()


def _config(tmp_path, port: int, fallback: str) -> str:
    cfg = tmp_path / "live.yaml"
    cfg.write_text(
        f"""broker:
  provider: ccxt
  paper_trading: false
  connect_timeout_s: 2
  fallback: {fallback}
  venues:
    - name: BINANCE-HUNG
      exchange: binance
      api_key_env: HUNG_KEY
      secret_env: HUNG_SECRET
      base_url: http://127.0.0.1:{port}
      timeout_ms: 60000
      rate_limit: false
"""
    )
    return str(cfg)


def _exec(tmp_path, port: int, fallback: str) -> tuple[subprocess.CompletedProcess[str], float]:
    env = {k: v for k, v in os.environ.items() if k != "TRANCHE_CONFIG"}
    env.update(HUNG_KEY="k" * 16, HUNG_SECRET="s" * 16)
    args = [*EXEC, "--config", _config(tmp_path, port, fallback), "--db", str(tmp_path / "h.db")]
    t0 = time.monotonic()
    done = subprocess.run(
        args + ["--json", "--quiet"], capture_output=True, text=True, timeout=60, env=env
    )
    return done, time.monotonic() - t0


def _fill_venues(tmp_path) -> list[str]:
    if not (tmp_path / "h.db").exists():
        return []
    with sqlite3.connect(tmp_path / "h.db") as db:
        return [r[0] for r in db.execute("SELECT venue FROM fills")]


def test_no_reachable_venue_is_an_error_naming_it_within_the_connect_timeout(
    tmp_path, silent_port
) -> None:
    done, elapsed = _exec(tmp_path, silent_port, "none")
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "no venue connected" in done.stderr and "BINANCE-HUNG" in done.stderr
    assert "no answer within 2 s" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert elapsed < 20  # the 60 s request timeout is not waited out
    assert _fill_venues(tmp_path) == []  # nothing traded anywhere, paper included


def test_paper_fallback_only_when_configured_and_said_on_the_output(tmp_path, silent_port) -> None:
    done, _ = _exec(tmp_path, silent_port, "paper")
    assert done.returncode == 0, done.stderr
    assert "BINANCE-HUNG did not connect: trading on PAPER" in done.stderr
    report = json.loads(done.stdout)
    assert report["paper_fallback"] == "BINANCE-HUNG" and report["filled_qty"] == "10"
    venues = _fill_venues(tmp_path)
    assert venues and set(venues) == {"PAPER"}  # marked as paper in the history
