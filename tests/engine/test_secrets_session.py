"""A whole session with a known fake credential: it must appear in no output, log or database file."""

from __future__ import annotations

import subprocess
from pathlib import Path

from engine.execution.logfile import log_path_for, scrub
from tests.fakes.sim_process import CLI, KEY, ROOT, SimVenueProcess, env, write_config

FAKE_SECRET = "s3cr3t-FAKE-7d1c0ffee"
WRONG_SECRET = "wr0ng-FAKE-41bad1dea"


def tranche(*args: str, environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=60
    )


def files_of(db: Path) -> list[Path]:
    found = [p for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm"), log_path_for(db)) if p.exists()]
    assert db in found and log_path_for(db) in found
    return found


def test_a_session_never_writes_the_credential_anywhere(tmp_path):
    with SimVenueProcess(api_secret=FAKE_SECRET) as venue:
        cfg = write_config(tmp_path / "c.yaml", venue.url, slices=2, interval=0.2)
        db = tmp_path / "s.db"
        good = {**env(), "CRASH_SECRET": FAKE_SECRET}
        order = [
            "exec",
            "--symbol",
            "BTCUSDT",
            "--side",
            "buy",
            "--qty",
            "0.01",
            "--venue",
            "SIM-A",
        ]
        files = ["--config", str(cfg), "--db", str(db), "--json"]
        runs = [
            tranche(*order, "--algo", "twap", *files, environ=good),
            tranche("config", "--config", str(cfg), "--json", environ=good),
            tranche("recover", "--config", str(cfg), "--db", str(db), "--json", environ=good),
            # refused credentials produce error messages: those must not carry them either
            tranche(*order, *files, environ={**good, "CRASH_SECRET": WRONG_SECRET}),
        ]
    assert runs[0].returncode == 0, runs[0].stderr
    assert '"status": "filled"' in runs[0].stdout
    texts = [r.stdout + r.stderr for r in runs]
    blobs = [p.read_bytes() for p in files_of(db)]
    assert b"filled" in blobs[0] or any(b"filled" in b for b in blobs)  # the session did write
    for secret in (FAKE_SECRET, WRONG_SECRET, KEY):
        assert all(secret not in t for t in texts), secret
        assert all(secret.encode() not in b for b in blobs), secret


def test_the_log_scrubber_removes_credentials_and_signed_queries():
    line = (
        "GET http://127.0.0.1:1/api/v3/account?timestamp=1&signature=abc123 failed; "
        f"apiKey={KEY} secret: {FAKE_SECRET}"
    )
    out = scrub(line, [FAKE_SECRET, KEY])
    assert FAKE_SECRET not in out and KEY not in out and "abc123" not in out
    assert "/api/v3/account?***" in out
