"""`tranche exec --tickets FILE`: a basket run headless; bad rows named by file, line and field."""

from __future__ import annotations

import json
import sqlite3

import pytest

from console.cli import main


@pytest.fixture(autouse=True)
def _no_user_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRANCHE_CONFIG", raising=False)


def write(tmp_path, text: str):
    path = tmp_path / "basket.csv"
    path.write_text(text)
    return path


def test_a_basket_runs_every_parent_and_reports_each(tmp_path, capsys) -> None:
    basket = write(
        tmp_path,
        "symbol,side,qty,algo,venue\n# a comment line\naapl,buy,300,twap,SIM-A\n"
        "MSFT,sell,200,,SIM-B\nGOOG,buy,50,market,\n",
    )
    db = tmp_path / "f.db"
    code = main(["exec", "--tickets", str(basket), "--algo", "twap", "--db", str(db), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    parents = out["parents"]
    assert [(p["symbol"], p["side"], p["quantity"]) for p in parents] == [
        ("AAPL", "buy", "300"),
        ("MSFT", "sell", "200"),
        ("GOOG", "buy", "50"),
    ]
    assert [p["algo"] for p in parents][:2] == ["twap", "twap"]  # a blank cell takes --algo
    assert all(p["status"] == "filled" for p in parents)
    assert out["summary"]["parents"] == 3 and out["summary"]["by_status"] == {"filled": 3}
    con = sqlite3.connect(db)
    try:
        rows = con.execute("SELECT parent_id, status FROM parents ORDER BY parent_id").fetchall()
    finally:
        con.close()
    assert sorted(rows) == sorted((p["parent_id"], "filled") for p in parents)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("symbol,side,qty\nAAPL,buy,10\nAAPL,buy,abc\n", "basket.csv line 3: qty"),
        ("symbol,side,qty\nAAPL,hold,10\n", "basket.csv line 2: side"),
        ("symbol,side,qty\nZZZ,buy,10\n", "basket.csv line 2: symbol"),
        ("symbol,side,quantity\nAAPL,buy,10\n", "header: missing qty"),
        ("symbol,side,qty,colour\nAAPL,buy,10,red\n", "header: unknown colour"),
        ("symbol,side,qty\n", "no tickets"),
    ],
)
def test_a_bad_basket_is_refused_naming_the_line_and_field(tmp_path, capsys, text, said) -> None:
    basket = write(tmp_path, text)
    db = tmp_path / "f.db"
    code = main(["exec", "--tickets", str(basket), "--db", str(db)])
    err = capsys.readouterr().err
    assert code == 2
    assert said in err and "Traceback" not in err
    if db.exists():  # nothing was journalled, so nothing can have been sent
        con = sqlite3.connect(db)
        try:
            assert con.execute("SELECT COUNT(*) FROM children").fetchone() == (0,)
        finally:
            con.close()


def test_tickets_and_a_single_ticket_together_are_refused(tmp_path, capsys) -> None:
    basket = write(tmp_path, "symbol,side,qty\nAAPL,buy,10\n")
    code = main(["exec", "--tickets", str(basket), "--symbol", "AAPL"])
    assert code == 2
    assert "--symbol" in capsys.readouterr().err


def test_exec_without_tickets_still_needs_symbol_side_and_qty(capsys) -> None:
    assert main(["exec", "--symbol", "AAPL", "--side", "buy"]) == 2
    assert "qty" in capsys.readouterr().err
