"""Throwaway PostgreSQL and Redis servers on loopback for tests that need the real thing.

Each starts from the Debian binaries on a random port with its own data directory and is
stopped at the end of the session. Where a server cannot be started the tests that need it
skip with the reason, unless TRANCHE_REQUIRE_SERVERS=1 (CI), where that is a failure.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def require_servers() -> bool:
    """CI sets TRANCHE_REQUIRE_SERVERS=1: a server that cannot start fails the run."""
    return os.environ.get("TRANCHE_REQUIRE_SERVERS") == "1"


def unavailable(reason: str) -> None:
    """Skip (a developer's machine without the server) or fail (CI)."""
    if require_servers():
        pytest.fail(f"TRANCHE_REQUIRE_SERVERS=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def pg_bindir() -> Path | None:
    """The newest Debian PostgreSQL's bin directory, or one on PATH."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def as_postgres(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its tools as the postgres user then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


@contextmanager
def postgres_server() -> Iterator[str]:
    """A fresh cluster on 127.0.0.1:<random port>; yields a URL with user/password tranche."""
    bindir = pg_bindir()
    if bindir is None:
        unavailable("no PostgreSQL binaries (apt-get install postgresql)")
    root = Path(tempfile.mkdtemp(prefix="tranche-pg-"))
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    pwfile = root / "pw"
    pwfile.write_text("tranche\n")
    if os.geteuid() == 0:
        shutil.chown(pwfile, "postgres", "postgres")
    port = free_port()
    init = subprocess.run(
        as_postgres(
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "tranche",
                "-A",
                "scram-sha-256",
                f"--pwfile={pwfile}",
                "--no-sync",
            ]
        ),
        capture_output=True,
        text=True,
    )
    if init.returncode != 0:
        unavailable(f"initdb failed: {init.stderr.strip()[-300:]}")
    opts = f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off"
    start = subprocess.run(
        as_postgres(
            [
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                opts,
                "-l",
                str(root / "log"),
                "-w",
                "start",
            ]
        ),
        capture_output=True,
        text=True,
    )
    if start.returncode != 0 or not wait_port(port, 15):
        unavailable(f"PostgreSQL did not start: {start.stderr.strip()[-300:]}")
    try:
        subprocess.run(
            as_postgres(
                [
                    str(bindir / "createdb"),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(port),
                    "-U",
                    "tranche",
                    "tranche",
                ]
            ),
            env={**os.environ, "PGPASSWORD": "tranche"},
            check=True,
            capture_output=True,
        )
        yield f"postgresql://tranche:tranche@127.0.0.1:{port}/tranche"
    finally:
        subprocess.run(
            as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def redis_server() -> Iterator[str]:
    """A redis-server on 127.0.0.1:<random port>, no persistence; yields its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        unavailable("no redis-server (apt-get install redis-server)")
    port = free_port()
    root = Path(tempfile.mkdtemp(prefix="tranche-redis-"))
    proc = subprocess.Popen(
        [
            binary,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(root),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        if not wait_port(port, 10):
            unavailable("redis-server did not start")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(root, ignore_errors=True)
