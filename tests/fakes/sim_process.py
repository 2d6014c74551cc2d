"""The simulated Binance-compatible venue as its own process (`tranche sim serve`), a config that
points `tranche` at it, and the environment the child processes run in; shared by the crash bench
and the tests that drive `tranche` as separate processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

from engine.sim.server.faults import admin_query

ROOT = Path(__file__).resolve().parents[2]
KEY, SECRET = "crash-bench-key", "crash-bench-secret-5f0e"
CLI = [sys.executable, "-m", "console.cli"]


class SimVenueProcess:
    """`tranche sim serve --port 0` as a subprocess; the URL comes from its first output line."""

    def __init__(self, venues: int = 2, speed: float = 1.0, api_secret: str = SECRET) -> None:
        self.args = [*CLI, "sim", "serve", "--port", "0", "--venues", str(venues),
                     "--speed", str(speed), "--api-key", KEY, "--api-secret", api_secret]  # fmt: skip
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""

    def __enter__(self) -> SimVenueProcess:
        self.proc = subprocess.Popen(
            self.args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if not line.startswith("listening on http://"):
            self.__exit__()
            raise RuntimeError(f"sim serve did not start: {line!r}")
        self.url = line.split()[-1]
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def admin(self, path: str, body: dict[str, Any] | None = None) -> Any:
        text = json.dumps(body) if body is not None else ""
        data = text.encode() if body is not None else None
        req = urllib.request.Request(
            f"{self.url}{path}?{admin_query(SECRET, text)}",  # signed like a trading call
            data=data,
            headers={"X-MBX-APIKEY": KEY},
            method="POST" if data else "GET",
        )
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())


def write_config(path: Path, url: str, *, slices: int, interval: float, extra: str = "") -> Path:
    venues = "\n".join(
        f"    - {{name: {v}, exchange: binance, api_key_env: CRASH_KEY, secret_env: CRASH_SECRET, "
        f'base_url: "{url}/{v}", rate_limit: false, poll_interval_s: 0.2, timeout_ms: 1500, '
        f"symbols: [BTCUSDT]}}"
        for v in ("SIM-A", "SIM-B")
    )
    path.write_text(
        f"broker:\n  provider: ccxt\n  venues:\n{venues}\n"
        f"router:\n  twap_num_slices: {slices}\n  twap_interval_seconds: {interval}\n"
        f"  sor_min_leg_notional: 100\n{extra}"
    )
    return path


def env() -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("TRANCHE_")}
    return {**e, "CRASH_KEY": KEY, "CRASH_SECRET": SECRET, "PYTHONPATH": str(ROOT)}
