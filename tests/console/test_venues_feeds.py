"""`tranche venues --check` against `tranche sim serve` (its own process): every capability
streams, and with `stream: false` each says it is polled and why."""

from __future__ import annotations

import json

from console.cli import main
from tests.fakes.sim_process import KEY, SECRET, SimVenueProcess


def test_check_shows_streaming_per_capability_and_polling_when_off(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SIM_KEY", KEY)
    monkeypatch.setenv("SIM_SECRET", SECRET)
    with SimVenueProcess(venues=2) as sim:
        cfg = tmp_path / "v.yaml"
        cfg.write_text(
            "broker:\n  provider: ccxt\n  venues:\n"
            + "".join(
                f"    - {{name: {n}, exchange: binance, base_url: '{sim.url}/{n}', "
                f"api_key_env: SIM_KEY, secret_env: SIM_SECRET, rate_limit: false, "
                f"symbols: [BTCUSDT], stream: {s}}}\n"
                for n, s in (("SIM-A", "true"), ("SIM-B", "false"))
            )
        )
        code = main(["venues", "--check", "--json", "--config", str(cfg)])
        out = json.loads(capsys.readouterr().out)
        assert main(["venues", "--check", "--config", str(cfg)]) == 0
        human = capsys.readouterr().out
    rows = {r["name"]: r for r in out["venues"]}
    assert code == 0
    assert rows["SIM-A"]["feeds"] == dict.fromkeys(
        ("book", "trades", "orders", "my_trades"), "stream"
    )
    assert set(rows["SIM-B"]["feeds"].values()) == {"poll (streaming off (stream: false))"}
    assert "feeds: book stream, trades stream, orders stream, my_trades stream" in human
