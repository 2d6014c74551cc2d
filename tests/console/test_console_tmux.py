"""Issue 14: the installed `tranche` in a real terminal (tmux), as a trader uses it.

A bad quantity is refused under its field; a good one is confirmed and sent; the parent row
advances on fills; the kill chord halts and closes the row; after quit and restart the quality
charts and the killed parent come back from the history.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

TRANCHE = Path(sys.executable).with_name("tranche")
pytestmark = pytest.mark.skipif(
    shutil.which("tmux") is None or not TRANCHE.exists(), reason="needs tmux and installed tranche"
)


class Tmux:
    """One tmux server of our own (its own socket), one window the size of a laptop terminal."""

    def __init__(self, tmp: Path) -> None:
        self.sock = f"tranche-test-{os.getpid()}"
        self.tmp = tmp
        self.session = ""
        self.starts = 0

    def run(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.sock, *args], capture_output=True, text=True, timeout=30
        )
        return done.stdout

    def start(self, db: Path) -> None:
        env = f"HOME={self.tmp} TERM=xterm-256color"
        cmd = f"env -u TRANCHE_CONFIG -u COLUMNS -u LINES {env} {TRANCHE} --db {db}; echo EXIT=$?; sleep 120"
        self.starts += 1  # a new session each start: killing a server and starting one races
        self.session = f"t{self.starts}"
        self.run("new-session", "-d", "-s", self.session, "-x", "160", "-y", "48", cmd)
        self.run("set-option", "-t", self.session, "window-size", "manual")
        self.run("resize-window", "-t", self.session, "-x", "160", "-y", "48")

    def keys(self, *keys: str) -> None:
        for k in keys:
            self.run("send-keys", "-t", self.session, k)
            time.sleep(0.15)

    def text(self, *keys: str) -> None:
        self.run("send-keys", "-t", self.session, "-l", "--", *keys)
        time.sleep(0.3)

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", self.session)

    def wait(self, predicate, what: str, timeout: float = 60.0) -> str:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if predicate(screen):
                return screen
            time.sleep(0.25)
        raise AssertionError(f"not on screen within {timeout:g} s: {what}\n{screen}")


def parent_line(screen: str) -> str:
    return next(
        (line for line in screen.splitlines() if re.search(r"P[0-9a-f]{18} buy AAPL", line)), ""
    )


def percent(line: str) -> int:
    m = re.search(r"(\d+)%", line)
    return int(m.group(1)) if m else -1


def test_bad_quantity_submit_progress_kill_restart_in_a_real_terminal(tmp_path) -> None:
    tm = Tmux(tmp_path)
    db = tmp_path / "fills.db"
    try:
        tm.start(db)
        tm.wait(lambda s: "ready: 100 AAPL" in s, "the console ready with the default ticket")
        # the SOR legs show whole prices (they were cut to the header's width: "189" for 189.97)
        tm.wait(
            lambda s: re.search(r"SIM-[A-D]\s+\d+\.\d\d\s+\d+\.\d\d\s", s) is not None,
            "the legs' bid and ask with their cents",
        )
        tm.keys("C-t", "Tab", "Tab", "End", "BSpace", "BSpace", "BSpace")
        tm.text("-5")
        tm.wait(lambda s: "must be > 0" in s and "fix the marked" in s, "the quantity error")
        tm.keys("BSpace", "BSpace")
        tm.text("3000")
        tm.wait(lambda s: "ready: 3000 AAPL" in s, "the corrected ticket")
        tm.keys("C-s")
        tm.wait(lambda s: "Send this order?" in s and "BUY 3,000 AAPL" in s, "the confirmation")
        tm.text("y")
        first = tm.wait(lambda s: percent(parent_line(s)) > 0, "a first fill on the parent row")
        tm.wait(
            lambda s: (
                percent(parent_line(s)) > percent(parent_line(first)) or "filled " in parent_line(s)
            ),
            "the row advancing on later fills",
        )
        tm.keys("C-\\")
        halted = tm.wait(
            lambda s: "HALTED" in s and "working" not in parent_line(s), "the halt closing the row"
        )
        assert re.search(r"cancelled|filled", parent_line(halted)), parent_line(halted)
        tm.keys("C-q")
        tm.wait(lambda s: "EXIT=0" in s, "a clean exit")
        tm.start(db)
        back = tm.wait(
            lambda s: (
                "bps by venue" in s
                and re.search(r"ms, n=\d+", s) is not None
                and bool(parent_line(s))  # the killed parent is back (it may paint a frame later)
            ),
            "the charts and the killed parent from the history after the restart",
        )
        assert "working" not in parent_line(back)
    finally:
        tm.run("kill-server")
