"""Square-root impact of the default market, and calibration from real data."""

from __future__ import annotations

import json

import pytest
import yaml

from console.cli import main
from engine.sim.calibrate import calibrate_files, model_figures, write_params
from engine.sim.impact import fit_power_law, metaorder_impact
from engine.sim.params import load_params
from engine.sim.stats import imbalance_signal_bps

from .conftest import EXCERPT


def test_default_market_reproduces_the_square_root_law():
    params = load_params()
    xs = [0.001, 0.01, 0.05, 0.1]
    ys = [metaorder_impact(params, "AAPL", x, duration_s=1800, children=120, venues=2) for x in xs]
    assert all(a < b for a, b in zip(ys, ys[1:], strict=False))  # more volume, more impact
    delta, y = fit_power_law(xs, ys)
    assert 0.4 <= delta <= 0.6
    assert 0.3 <= y <= 1.5


def test_calibration_fits_the_data_and_the_model_reproduces_its_figures(tmp_path):
    fit = calibrate_files([str(EXCERPT)], {"ETHX": 2700.0})
    f = fit.fits[0]
    assert f.name == "BTCUSDT" and fit.errors == []
    assert str(f.params.tick) == "0.01" and 61_000 < f.params.price < 62_000
    assert f.data["spread_ticks_median"] == f.model["spread_ticks_median"] == 1
    assert abs(f.model["trades_per_s"] / f.data["trades_per_s"] - 1) < 0.2
    assert abs(f.model["mean_trade"] / f.data["mean_trade"] - 1) < 0.2
    assert abs(f.model["depth_touch"] / f.data["depth_touch"] - 1) < 0.5
    out = tmp_path / "params.yaml"
    write_params(fit, out)
    p = load_params(out)
    assert set(p.symbols) == {"BTCUSDT", "ETHX"} and p.symbols["ETHX"].price == 2700.0
    assert abs(p.symbols["BTCUSDT"].trades_per_s / f.params.trades_per_s - 1) < 1e-5


def test_sim_calibrate_cli_writes_parameters_and_prints_data_next_to_model(tmp_path, capsys):
    out = tmp_path / "p.yaml"
    assert main(["sim", "calibrate", "--data", str(EXCERPT), "--out", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    row = report["symbols"]["BTCUSDT"]
    assert set(row["data"]) == set(row["model"]) and row["data"]["trades_per_s"] > 0
    assert "symbols" in yaml.safe_load(out.read_text())
    assert main(["sim", "calibrate", "--data", str(EXCERPT), "--out", str(out)]) == 0
    assert "spread_ticks_median" in capsys.readouterr().out


def test_packaged_defaults_load_and_name_the_console_symbols():
    p = load_params()
    assert {"AAPL", "MSFT", "GOOG", "BTCUSDT"} <= set(p.symbols)
    assert 150 < p.symbols["AAPL"].price < 250 and str(p.symbols["BTCUSDT"].step) == "0.00001"
    assert p.fitted  # the calibration figures travel with the defaults


def test_the_imbalance_signal_is_the_slope_of_the_next_move_on_the_books_lean():
    imb = [0.5, -0.5, 0.2, -0.2, 0.0, 0.5, -0.5, 0.2, -0.2, 0.0, 0.4]
    rets = [x * 0.3e-4 + (1e-6 if i % 2 else -1e-6) for i, x in enumerate(imb[:-1])]
    assert imbalance_signal_bps(imb, rets) == pytest.approx(0.3, abs=0.01)
    assert imbalance_signal_bps([0.1] * 20, [1e-4] * 19) == 0.0  # no variation: no slope


def test_calibration_gives_the_model_the_datas_imbalance_signal(tmp_path):
    """Real books leaning to the bid tick up next; the fitted drift reproduces that in the model,
    and a model without drift shows none (its imbalance only tilted depth and trade direction)."""
    fit = calibrate_files([str(EXCERPT)])
    f = fit.fits[0]
    assert f.data["imbalance_signal_bps"] > 0.1 and f.drift_bps > 0
    long = model_figures(
        f.params, load_params(), f.imbalance, 7200.0, seed=5, drift_bps=f.drift_bps
    )
    flat = model_figures(f.params, load_params(), f.imbalance, 7200.0, seed=5)
    assert long["imbalance_signal_bps"] == pytest.approx(f.data["imbalance_signal_bps"], rel=0.35)
    assert abs(flat["imbalance_signal_bps"]) < 0.3 * f.data["imbalance_signal_bps"]
    # the drift's variance is taken out of the noise: volatility stays the calibrated one
    assert long["vol_per_sqrt_s"] == pytest.approx(flat["vol_per_sqrt_s"], rel=0.15)
    out = tmp_path / "p.yaml"
    write_params(fit, out)
    assert load_params(out).imbalance_drift_bps == pytest.approx(f.drift_bps)
