"""A redis-server a test can kill and start again on the same port, with its data on disk.

Redis going away and coming back, as a server does when it crashes or is restarted: SIGKILL
(no goodbye to the clients), then the same port and the same append-only file, fsynced on every
write, so what Redis acknowledged before the crash is there after it.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from tests.fakes.servers import free_port, unavailable, wait_port


class RestartableRedis:
    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            unavailable("no redis-server (apt-get install redis-server)")
        self.binary = str(binary)
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="tranche-redis-aof-"))
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                self.binary,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if not wait_port(self.port, 10):
            unavailable("redis-server did not start")

    def crash(self) -> None:
        """SIGKILL: every client connection drops at once."""
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
            self.proc = None

    def close(self) -> None:
        self.crash()
        shutil.rmtree(self.dir, ignore_errors=True)
