"""Item 12 of issue 14 on the command line: lots, symbol case, unknown symbols, a --db in no directory."""

from __future__ import annotations

import json

import pytest

from console.cli import main


@pytest.fixture(autouse=True)
def _no_user_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRANCHE_CONFIG", raising=False)


def test_exec_refuses_a_fractional_quantity_on_a_whole_share_instrument(tmp_path, capsys) -> None:
    db = tmp_path / "x.db"
    code = main(["exec", "--symbol", "AAPL", "--side", "buy", "--qty", "100.5", "--db", str(db)])
    err = capsys.readouterr().err
    assert code == 2
    assert "quantity" in err and "lots of 1" in err and "Traceback" not in err


def test_route_accepts_a_lower_case_symbol_as_the_console_does(capsys) -> None:
    assert main(["route", "--symbol", "aapl", "--side", "buy", "--qty", "100", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["symbol"] == "AAPL"


def test_venues_refuses_a_symbol_no_venue_lists(capsys) -> None:
    assert main(["venues", "--symbol", "ZZZ"]) == 2
    err = capsys.readouterr().err
    assert "ZZZ" in err and "AAPL" in err


def test_venues_accepts_a_lower_case_symbol(capsys) -> None:
    assert main(["venues", "--symbol", "aapl", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["symbol"] == "AAPL"


@pytest.mark.parametrize("command", ["exec", "report", "venues", "recover"])
def test_a_db_in_a_missing_directory_is_refused_naming_it(tmp_path, capsys, command) -> None:
    missing = tmp_path / "no" / "such"
    argv = {
        "exec": ["exec", "--symbol", "AAPL", "--side", "buy", "--qty", "1"],
        "report": ["report"],
        "venues": ["venues", "--symbol", "AAPL"],
        "recover": ["recover"],
    }[command]
    with pytest.raises(SystemExit) as done:
        main([*argv, "--db", str(missing / "x.db")])
    assert done.value.code == 2
    assert f"directory {missing} does not exist" in capsys.readouterr().err
    assert not (tmp_path / "no").exists()


def test_readme_says_textual_draws_on_stderr_and_where_the_history_lives(monkeypatch) -> None:
    from pathlib import Path

    from engine.config import Settings

    monkeypatch.delenv("XDG_DATA_HOME", raising=False)  # the trader's default, not the suite's

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    console = readme.split("## The console", 1)[1].split("\n## ", 1)[0]
    assert "stderr" in console and "2>log" in console and "blank" in console
    default = Settings().store.resolved_path()
    shown = (
        f"~/{default.relative_to(Path.home())}"
        if default.is_relative_to(Path.home())
        else str(default)
    )
    assert shown in console


@pytest.mark.parametrize(
    "argv",
    [
        ["exec", "--side", "buy", "--qty", "1"],
        ["route", "--side", "buy", "--qty", "1"],
        ["venues"],
        ["train", "--out", "p.json"],
        ["evaluate", "--synthetic", "1"],
    ],
)
def test_every_symbol_flag_is_upper_cased_as_the_console_does(argv) -> None:
    from console.cli import build_parser

    assert build_parser().parse_args([*argv, "--symbol", " aapl "]).symbol == "AAPL"


def test_console_flags_without_the_word_console_reach_the_console(tmp_path, capsys) -> None:
    """`tranche --db F` is the console, as `tranche` is; before, argparse took F for a command."""
    with pytest.raises(SystemExit) as exit_:
        main(["--db", str(tmp_path / "missing" / "x.db")])
    err = capsys.readouterr().err
    assert exit_.value.code == 2
    assert "does not exist" in err and "invalid choice" not in err
