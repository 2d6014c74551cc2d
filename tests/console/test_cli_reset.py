"""`tranche reset`: a killed history refuses `tranche exec` until the trader resets it, with --yes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from engine.config import Settings
from engine.factory import build_engine

CLI = [sys.executable, "-m", "console.cli"]
EXEC = ("exec", "--symbol", "AAPL", "--side", "buy", "--qty", "100", "--algo", "market", "--quiet")


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "TRANCHE_CONFIG"}
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, timeout=180, env=env, check=False
    )


async def test_a_kill_holds_for_the_cli_until_reset_with_yes(tmp_path) -> None:
    db = str(tmp_path / "h.db")
    eng = build_engine(Settings(), db_path=db)
    await eng.start()
    await eng.kill()  # as ctrl+\ in a console on this history
    await eng.stop()

    refused = _run(*EXEC, "--db", db)
    assert (
        refused.returncode == 2 and "HALTED" in refused.stderr and "kill switch" in refused.stderr
    )
    assert "Traceback" not in refused.stderr
    unconfirmed = _run("reset", "--db", db)
    assert unconfirmed.returncode == 2 and "--yes" in unconfirmed.stderr
    done = _run("reset", "--db", db, "--yes", "--json")
    assert done.returncode == 0, done.stderr
    said = json.loads(done.stdout)
    assert said["changed"] and said["was"] == "halted" and "kill switch" in said["was_reason"]
    sent = _run(*EXEC, "--db", db, "--json")
    assert sent.returncode == 0, sent.stderr
    again = _run("reset", "--db", db)
    assert again.returncode == 0 and "already ACTIVE" in again.stdout


def test_reset_of_a_history_that_does_not_exist_says_so(tmp_path) -> None:
    out = _run("reset", "--db", str(tmp_path / "none.db"), "--yes")
    assert out.returncode == 2 and "no history" in out.stderr
    assert not (tmp_path / "none.db").exists()
