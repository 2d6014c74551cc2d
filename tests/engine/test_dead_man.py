"""The venue-side dead-man switch: armed on connect, kept alive by a heartbeat, and when the
process is SIGKILLed with an order resting, the venue (`tranche sim serve`) cancels it itself."""

from __future__ import annotations

import signal
import subprocess
import time

from tests.fakes.sim_process import CLI, ROOT, SimVenueProcess, env

DEAD_MAN_S = 1.0


def open_orders(sim) -> list[dict]:
    state = sim.admin("/_sim/state")
    return [
        o for o in state["venues"]["SIM-A"]["orders"] if o["status"] in ("NEW", "PARTIALLY_FILLED")
    ]


def test_sigkill_with_an_order_resting_the_venue_cancels_it_within_the_window(tmp_path):
    with SimVenueProcess(venues=2) as sim:
        cfg = tmp_path / "deadman.yaml"
        cfg.write_text(
            "broker:\n  provider: ccxt\n  venues:\n"
            f"    - {{name: SIM-A, exchange: binance, api_key_env: CRASH_KEY, "
            f"secret_env: CRASH_SECRET, base_url: '{sim.url}/SIM-A', rate_limit: false, "
            f"symbols: [BTCUSDT], dead_man_s: {DEAD_MAN_S}, dead_man_via: countdown}}\n"
            "router:\n  twap_num_slices: 1\n  twap_interval_seconds: 600\n"
        )
        book = sim.admin("/_sim/state")  # the admin call proves the venue is up
        assert "venues" in book
        proc = subprocess.Popen(
            [*CLI, "exec", "--config", str(cfg), "--db", str(tmp_path / "f.db"), "--quiet",
             "--symbol", "BTCUSDT", "--side", "buy", "--qty", "0.01", "--algo", "limit",
             "--limit", "1000", "--venue", "SIM-A"],
            cwd=ROOT, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 30
            while not open_orders(sim):
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                assert time.monotonic() < deadline, "the order never rested"
                time.sleep(0.05)
            time.sleep(DEAD_MAN_S * 2.5)  # the heartbeat keeps re-arming: nothing fires
            assert len(open_orders(sim)) == 1
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            killed = time.monotonic()
            while open_orders(sim):
                assert time.monotonic() - killed < DEAD_MAN_S + 1.5, "the venue never cancelled"
                time.sleep(0.05)
            gone_after = time.monotonic() - killed
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert gone_after <= DEAD_MAN_S + 0.5  # at most one window after the last heartbeat
