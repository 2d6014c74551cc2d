"""The installed `tranche` command in a real pseudo-terminal: starts, shows the panes, halts, quits."""

from __future__ import annotations

import fcntl
import os
import re
import select
import shutil
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

TRANCHE = Path(sys.executable).with_name("tranche")
ANSI = re.compile(r"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b[()][A-Za-z0-9]|\x1b[=>]|\x1b\][^\x07]*\x07")


def read_until(fd: int, needles: list[str], timeout: float) -> str:
    """Collect output (escape codes removed) until every needle was seen or time runs out."""
    raw = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                raw += os.read(fd, 65536)
            except OSError:
                break
            text = ANSI.sub("", raw.decode("utf-8", "replace"))
            if all(n in text for n in needles):
                return text
    return ANSI.sub("", raw.decode("utf-8", "replace"))


@pytest.mark.skipif(
    not TRANCHE.exists() or shutil.which("sh") is None,
    reason="the tranche console script is not installed",
)
def test_tranche_console_in_a_pty_shows_main_panes_and_halts(tmp_path) -> None:
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    env = {
        **os.environ,
        "TERM": "xterm-256color",
        "COLUMNS": "120",
        "LINES": "40",
        "HOME": str(tmp_path),
    }
    env.pop("TRANCHE_CONFIG", None)
    proc = subprocess.Popen(
        [str(TRANCHE), "console", "--db", str(tmp_path / "fills.db")],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        close_fds=True,
        start_new_session=True,
    )
    os.close(slave)
    try:
        panes = [
            "Order ticket",
            "Kelly preview",
            "SOR legs",
            "Execution progress",
            "Kill switch",
            "Venue scores",
            "Quality",
            "Blotter",
            "Book",
            "Log",
        ]
        seen = read_until(master, panes + ["ACTIVE"], timeout=20)
        for title in panes:
            assert title in seen, title
        os.write(master, b"\x1c")  # ctrl+\\: the kill switch, as the terminal sends it
        after = read_until(master, ["HALTED"], timeout=10)
        assert "HALTED" in after
        os.write(master, b"\x11")  # ctrl+q
        tail = ""
        deadline = time.monotonic() + 15
        while proc.poll() is None and time.monotonic() < deadline:
            tail += read_until(
                master, ["\x00"], timeout=0.2
            )  # keep draining: a full pty blocks the app
        assert proc.wait(timeout=1) == 0
        assert "Traceback" not in tail
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
