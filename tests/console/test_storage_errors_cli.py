"""`tranche exec` against a history file it cannot use (issue 20, defect 5): a clear error that
names the file, exit 2, no traceback, and when the disk fills mid-execution the report still
prints, nothing unjournalled is sent and every booked fill reaches the file once space is back.

The full and the read-only disk are real: a small tmpfs, mounted for the test (root only).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from engine.store.spill import spill_path


def tranche(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "console.cli", "exec", "--symbol", "AAPL", "--side", "buy"]
    return subprocess.run(
        [*cmd, *args, "--algo", "twap", "--db", str(db), "--quiet", "--json"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def clear_error(r: subprocess.CompletedProcess[str], db: Path, words: str) -> None:
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr and str(db.name) in r.stderr and words in r.stderr


@pytest.mark.parametrize(
    "content, words",
    [
        (b"these are my notes, not a database\n" * 50, "not a SQLite database"),
        (b"SQLite format 3\x00" + bytes(84), "not a SQLite database"),  # header only
    ],
)
def test_a_file_that_is_not_a_history_is_refused_by_name(tmp_path, content, words):
    db = tmp_path / "fills.db"
    db.write_bytes(content)
    clear_error(tranche("--qty", "100", db=db), db, words)
    assert db.read_bytes() == content  # untouched


def test_a_store_path_that_is_a_directory_or_under_a_file_is_refused(tmp_path):
    (tmp_path / "dir.db").mkdir()
    clear_error(tranche("--qty", "100", db=tmp_path / "dir.db"), tmp_path / "dir.db", "directory")
    (tmp_path / "plain").write_text("x")
    under = tmp_path / "plain" / "fills.db"
    r = tranche("--qty", "100", db=under)
    assert r.returncode == 2 and "Traceback" not in r.stderr and "plain" in r.stderr


@pytest.fixture
def small_disk(tmp_path):
    """A 8 MB filesystem of its own; skipped where mounting is not allowed."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    r = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mnt)], capture_output=True
    )
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.decode().strip()}")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_a_read_only_history_is_a_clear_error(small_disk):
    db = small_disk / "fills.db"
    assert tranche("--qty", "100", db=db).returncode == 0
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    clear_error(tranche("--qty", "100", db=db), db, "fills.db")


def test_a_disk_that_fills_mid_execution_prints_the_report_and_loses_no_fill(small_disk, tmp_path):
    db = small_disk / "fills.db"
    assert tranche("--qty", "20000", db=db).returncode == 0
    free_kb = shutil.disk_usage(small_disk).free // 1024
    filler = small_disk / "filler"
    filler.write_bytes(bytes((free_kb - 100) * 1024))  # about 100 KB left: full within the run
    r = tranche("--qty", "20000", db=db)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    report = json.loads(r.stdout)  # the execution report still prints
    assert "disk is full" in report["store_error"] and "disk is full" in r.stderr
    filler.unlink()  # space again; the kept rows are where the warning says
    kept = spill_path(db)
    if not kept.exists():
        moved = r.stderr.split("rows kept in ")[1].split(" (move it")[0]
        shutil.move(moved, kept)
    assert tranche("--qty", "10", db=db).returncode == 0  # opening writes them
    con = sqlite3.connect(db)
    [(filled, status)] = con.execute(
        "SELECT filled_qty, status FROM parents WHERE parent_id = ?", (report["parent_id"],)
    ).fetchall()
    fills = con.execute(
        "SELECT quantity FROM fills WHERE parent_id = ?", (report["parent_id"],)
    ).fetchall()
    assert Decimal(filled) == Decimal(report["filled_qty"]) == sum(Decimal(q) for (q,) in fills)
    assert status == report["status"] and len(fills) == report["fills"] > 0
    assert not kept.exists()


async def test_the_console_on_a_file_that_is_not_a_history_exits_2_and_says_why(tmp_path):
    from tests.console.conftest import make_console

    (tmp_path / "fills.db").write_bytes(b"not sqlite at all\n" * 40)
    app = make_console(tmp_path)
    async with app.run_test() as pilot:
        for _ in range(100):  # before: it sat on "checking..." with every venue grey, forever
            if app.return_code is not None:
                break
            await pilot.pause(0.05)
    assert app.return_code == 2
    assert "fills.db" in app.exit_reason and "not a SQLite database" in app.exit_reason
