"""`tranche venues --check` against a loopback Binance venue configured by base_url."""

from __future__ import annotations

import json

from console.cli import main
from tests.fakes.binance_spot import API_KEY, SECRET, BinanceSpotFake
from tests.fakes.http_venue import ThreadedVenue


def write_config(tmp_path, venues: list[dict]) -> str:
    lines = ["broker:", "  provider: ccxt", "  venues:"]
    for v in venues:
        lines.append(f"    - name: {v['name']}")
        lines += [f"      {k}: {val}" for k, val in v.items() if k != "name"]
    path = tmp_path / "venues.yaml"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_check_reports_each_venue_as_json(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("BN_KEY", API_KEY)
    monkeypatch.setenv("BN_SECRET", SECRET)
    with ThreadedVenue(BinanceSpotFake()) as good, ThreadedVenue(BinanceSpotFake()) as broken:
        broken.fail(
            "/api/v3/exchangeInfo",
            status=400,
            body='{"code":-1022,"msg":"Signature for this request is not valid."}',
            times=5,
        )
        common = {
            "exchange": "binance",
            "api_key_env": "BN_KEY",
            "secret_env": "BN_SECRET",
            "rate_limit": "false",
        }
        cfg = write_config(
            tmp_path,
            [
                {"name": "bn", "base_url": good.base_url, **common},
                {"name": "bn-down", "base_url": broken.base_url, **common},
            ],
        )
        code = main(["venues", "--check", "--json", "--config", cfg])
    out = json.loads(capsys.readouterr().out)
    rows = {r["name"]: r for r in out["venues"]}
    assert code == 1  # one venue is down: scripts can tell
    assert set(rows["bn"]) == {
        "name", "connected", "latency_ms", "markets", "error", "account", "feeds", "dead_man",
    }  # fmt: skip
    # this REST-only venue has no WebSocket side: fills are polled, and the row says why
    assert rows["bn"]["feeds"]["orders"].startswith("poll (user stream did not log in")
    assert (
        rows["bn"]["connected"] is True
        and rows["bn"]["markets"] == 4
        and rows["bn"]["error"] is None
        and rows["bn"]["account"] == "ok"  # a signed call went through with these keys
    )
    assert rows["bn"]["latency_ms"] >= 0
    assert rows["bn-down"]["connected"] is False and "Signature" in rows["bn-down"]["error"]
    assert SECRET not in json.dumps(out) and API_KEY not in json.dumps(out)


def test_check_prints_a_table_and_exits_zero_when_all_connect(tmp_path, capsys, monkeypatch):
    with ThreadedVenue(BinanceSpotFake()) as good:
        cfg = write_config(
            tmp_path, [{"name": "bn", "exchange": "binance", "base_url": good.base_url}]
        )
        code = main(["venues", "--check", "--config", cfg])
    out = capsys.readouterr().out
    assert code == 0  # public data only is not a failure
    assert out.splitlines()[0].split() == [
        "venue",
        "connected",
        "latency_ms",
        "markets",
        "account",
        "/",
        "error",
    ]
    assert out.splitlines()[1].split()[:2] == ["bn", "yes"]
    assert "account no credentials (public data only)" in out


def test_check_finds_keys_the_venue_refuses_before_any_order(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("BN_KEY", API_KEY)
    monkeypatch.setenv("BN_SECRET", "not-the-secret")
    with ThreadedVenue(BinanceSpotFake()) as venue:
        cfg = write_config(
            tmp_path,
            [{"name": "bn", "exchange": "binance", "base_url": venue.base_url,
              "api_key_env": "BN_KEY", "secret_env": "BN_SECRET", "rate_limit": "false"}],
        )  # fmt: skip
        code = main(["venues", "--check", "--json", "--config", cfg])
    row = json.loads(capsys.readouterr().out)["venues"][0]
    assert code == 1
    assert row["connected"] is True  # public calls work ...
    assert "Signature" in row["account"]  # ... the signed one names what the venue refused
    assert "not-the-secret" not in json.dumps(row)


def test_venues_without_a_mode_is_a_usage_error(capsys):
    assert main(["venues"]) == 2
    assert "--check" in capsys.readouterr().err
