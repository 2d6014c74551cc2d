"""Defect 6 and part of 5 of issue 20: hostile config, params and quotes files give one clear error."""

from __future__ import annotations

import pytest

from console.cli import main
from engine.config import ConfigError
from engine.sim.params import load_params

BOMB = (
    "console:\n  keymap:\n"
    '    a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x"]\n'
    "    b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    "    c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
)


@pytest.fixture(autouse=True)
def _no_user_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRANCHE_CONFIG", raising=False)


def _config_error(tmp_path, capsys, body: bytes) -> str:
    path = tmp_path / "user.yaml"
    path.write_bytes(body)
    assert main(["config", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert path.name in err and "Traceback" not in err
    return err


def test_an_alias_bomb_under_the_keymap_is_refused_not_expanded(tmp_path, capsys) -> None:
    assert "aliases" in _config_error(tmp_path, capsys, BOMB.encode())


def test_a_five_thousand_digit_integer_is_refused_by_name(tmp_path, capsys) -> None:
    err = _config_error(tmp_path, capsys, b"router:\n  twap_num_slices: " + b"9" * 5000 + b"\n")
    assert "out of range" in err


def test_a_config_that_is_not_utf8_names_the_file(tmp_path, capsys) -> None:
    assert "not UTF-8" in _config_error(tmp_path, capsys, b"router:\n  x: \xff\xfe\n")


def test_an_alias_in_an_environment_override_is_refused(monkeypatch, capsys) -> None:
    monkeypatch.setenv("TRANCHE_ROUTER__TWAP_NUM_SLICES", "[&a 1, *a]")
    assert main(["config"]) == 2
    assert "TRANCHE_ROUTER__TWAP_NUM_SLICES" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("body", "words"),
    [(BOMB.replace("console", "book").encode(), "aliases"), (b"book: \xff\n", "not UTF-8")],
)
def test_market_parameter_files_get_the_same_refusals(tmp_path, body, words) -> None:
    path = tmp_path / "market.yaml"
    path.write_bytes(body)
    with pytest.raises(ConfigError, match=words) as err:
        load_params(path)
    assert str(path) in str(err.value)


def test_a_quotes_file_that_is_not_utf8_is_refused_by_name(tmp_path, capsys) -> None:
    path = tmp_path / "q.json"
    path.write_bytes(b'{"SIM-A": {"bid": "\xff"}}')
    argv = ["route", "--symbol", "AAPL", "--side", "buy", "--qty", "10", "--quotes", str(path)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "--quotes" in err and "not UTF-8" in err and "Traceback" not in err


@pytest.mark.parametrize("speed", ["inf", "nan", "0", "-1"])
@pytest.mark.parametrize("command", [["sim", "serve"], ["console"]])
def test_a_speed_that_is_not_a_finite_positive_number_is_refused(command, speed, capsys) -> None:
    with pytest.raises(SystemExit) as stop:
        main([*command, "--speed", speed])
    assert stop.value.code == 2
    assert "--speed" in capsys.readouterr().err


def test_an_infinite_configured_speed_is_refused(tmp_path, capsys) -> None:
    assert "sim.speed" in _config_error(tmp_path, capsys, b"sim:\n  speed: .inf\n")
