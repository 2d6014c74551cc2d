"""A PostgreSQL cluster of one test's own that the test can stop and start again on the same port.

Used to lose the server mid-run, as a crashed or restarted database server would: `stop()` is
pg_ctl's immediate mode (connections are cut, nothing is flushed politely).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.fakes.servers import as_postgres, free_port, pg_bindir, unavailable, wait_port


class PgCluster:
    def __init__(self) -> None:
        bindir = pg_bindir()
        if bindir is None:
            unavailable("no PostgreSQL binaries (apt-get install postgresql)")
        assert bindir is not None
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="tranche-pgc-"))
        self.data = self.root / "data"
        pw = self.root / "pw"
        pw.write_text("tranche\n")
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
            shutil.chown(pw, "postgres", "postgres")
        self.port = free_port()
        init = self._run("initdb", "-D", str(self.data), "-U", "tranche", "-A", "scram-sha-256",
                         f"--pwfile={pw}", "--no-sync")  # fmt: skip
        if init.returncode != 0:
            unavailable(f"initdb failed: {init.stderr.strip()[-300:]}")
        self.start()
        self.url = f"postgresql://tranche:tranche@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        cmd = as_postgres([str(self.bindir / tool), *args])
        return subprocess.run(cmd, capture_output=True, text=True)

    def start(self) -> None:
        opts = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} -c fsync=off"
        r = self._run("pg_ctl", "-D", str(self.data), "-o", opts, "-l", str(self.root / "log"),
                      "-w", "start")  # fmt: skip
        if r.returncode != 0 or not wait_port(self.port, 15):
            unavailable(f"PostgreSQL did not start: {r.stderr.strip()[-300:]}")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
