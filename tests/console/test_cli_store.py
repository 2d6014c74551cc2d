"""`tranche store migrate|check` and `tranche report` on a PostgreSQL URL, as a trader runs them:
JSON on stdout, one-line errors naming the URL (password masked), exit 2."""

from __future__ import annotations

import json

import pytest

from console.cli import main
from engine.store import Store
from tests.fakes.history import seed_history
from tests.fakes.servers import free_port


def without_password(url: str) -> str:
    return url.replace("tranche:tranche@", "tranche@")


@pytest.fixture
def pw_env(monkeypatch):
    monkeypatch.setenv("TRANCHE_STORE__PASSWORD_ENV", "TEST_PG_PW")
    monkeypatch.setenv("TEST_PG_PW", "tranche")
    monkeypatch.delenv("TRANCHE_CONFIG", raising=False)


async def _seed(path) -> None:
    async with Store(path) as s:
        await seed_history(s, 300)


def test_migrate_then_check_then_report_on_the_server(tmp_path, pg_history, pw_env, capsys):
    import asyncio

    db = tmp_path / "fills.db"
    asyncio.run(_seed(db))
    url = without_password(pg_history)
    assert main(["store", "migrate", "--from", f"sqlite:///{db}", "--to", url, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] and {t["table"]: t["destination"] for t in out["tables"]}["fills"] == 300
    assert out["to"].startswith("postgresql://tranche:****@127.0.0.1:")
    assert main(["store", "check", "--db", url, "--json"]) == 2  # seeded fills have no children
    check = json.loads(capsys.readouterr().out)
    assert check["rows"]["fills"] == 300 and check["schema_version"] == check["schema_latest"]
    assert check["timescaledb"] in ("absent", "available")
    assert main(["report", "--db", url, "--since", "10000d", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["fills"] == 300 and report["db"].startswith("postgresql://tranche@127.0.0.1:")


def test_a_wrong_password_is_one_line_naming_the_url(pg_history, monkeypatch, capsys):
    monkeypatch.setenv("TRANCHE_STORE__PASSWORD_ENV", "TEST_PG_PW")
    monkeypatch.setenv("TEST_PG_PW", "not-the-password")
    assert main(["store", "check", "--db", without_password(pg_history)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--db: postgresql://tranche:****@127.0.0.1:" in err
    assert "password" in err and "not-the-password" not in err


def test_no_server_is_one_line_naming_the_url(capsys, pw_env):
    url = f"postgresql://tranche@127.0.0.1:{free_port()}/fills"
    assert main(["report", "--db", url]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot be reached" in err and "127.0.0.1" in err


def test_a_malformed_url_names_the_flag(capsys):
    with pytest.raises(SystemExit) as e:
        main(["store", "check", "--db", "postgresql://nohost"])
    assert e.value.code == 2
    assert "--db" in capsys.readouterr().err
