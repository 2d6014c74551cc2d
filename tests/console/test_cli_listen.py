"""`tranche listen` as a server runs it: a real process on a real Redis; the journal outlives it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import redis

from tests.fakes.signals import signal_json

ROOT = Path(__file__).resolve().parents[2]


def config(tmp_path: Path, redis_url: str, prefix: str = "cli") -> Path:
    path = tmp_path / "listen.yaml"
    path.write_text(
        "signals:\n"
        f"  redis_url: {redis_url}\n"
        f"  stream: {prefix}:signals\n"
        f"  fills_stream: {prefix}:fills\n"
        f"  orders_stream: {prefix}:orders\n"
        "  auto_symbols: [AAPL]\n"
        "  auto_max_notional: 100000000\n"
    )
    return path


def listen(tmp_path: Path, cfg: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "TRANCHE_CONFIG"}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "console.cli",
            "listen",
            "--config",
            str(cfg),
            "--db",
            str(tmp_path / "fills.db"),
            *extra,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_listen_auto_executes_each_signal_once_across_restarts(tmp_path, redis_url):
    cfg = config(tmp_path, redis_url)
    r = redis.Redis.from_url(redis_url)
    for i in range(3):
        direction = "long" if i % 2 == 0 else "short"
        r.xadd("cli:signals", {"signal": signal_json(f"cli-{i}", time.time(), direction=direction)})
    r.xadd("cli:signals", {"signal": b"not a signal"})
    first = listen(tmp_path, cfg, "--auto", "--for", "4", "--json")
    assert first.returncode == 0, first.stderr
    data = json.loads(first.stdout)
    assert data["mode"] == "auto" and data["counts"] == {"executed": 3, "malformed": 1}
    assert all(s["parent_id"] for s in data["signals"] if s["status"] == "executed")
    # a producer that did not see its replies sends the same signals again, to a restarted listener
    for i in range(3):
        r.xadd("cli:signals", {"signal": signal_json(f"cli-{i}", time.time())})
    second = listen(tmp_path, cfg, "--auto", "--for", "3", "--json")
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["counts"] == {"duplicate": 3}
    fills = [json.loads(f[b"fill"]) for _, f in r.xrange("cli:fills")]
    executed = {s["parent_id"] for s in data["signals"] if s["parent_id"]}
    assert {f["parent_id"] for f in fills} == executed


def test_listen_in_confirm_mode_holds_and_a_human_line_says_why(tmp_path, redis_url):
    cfg = config(tmp_path, redis_url, "cli2")
    r = redis.Redis.from_url(redis_url)
    r.xadd("cli2:signals", {"signal": signal_json("hold-1", time.time())})
    r.xadd("cli2:signals", {"signal": signal_json("old-1", time.time() - 3600)})
    out = listen(tmp_path, cfg, "--for", "3")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert any(ln.startswith("held") and "hold-1 long AAPL qty" in ln for ln in lines)
    assert any(ln.startswith("refused") and "old-1" in ln and "stale: 36" in ln for ln in lines)
    assert lines[-1].startswith("stopped (confirm mode, active):")


def test_listen_without_a_source_names_the_setting_and_sigterm_stops_it_in_order(
    tmp_path, redis_url
):
    bare = tmp_path / "bare.yaml"
    bare.write_text("signals:\n  mode: confirm\n")
    out = listen(tmp_path, bare)
    assert out.returncode == 2 and out.stderr.startswith("tranche listen: signals.redis_url:")
    cfg = config(tmp_path, redis_url, "cli3")
    env = {k: v for k, v in os.environ.items() if k != "TRANCHE_CONFIG"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "console.cli",
            "listen",
            "--config",
            str(cfg),
            "--db",
            str(tmp_path / "fills.db"),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    assert proc.stderr.readline().startswith("listening (confirm mode) on redis")
    proc.send_signal(signal.SIGTERM)
    out_text, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0 and out_text.splitlines()[-1].startswith("stopped (confirm mode")
