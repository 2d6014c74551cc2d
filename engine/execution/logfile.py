"""The engine's log file: log, alert, recovery and kill events as lines, readable by the user only.

It lives next to the fill-history database (`fills.db` -> `fills.log`), is created 0600 (an
existing looser file is tightened), and every line is scrubbed of the configured venues'
credentials and of anything that looks like a signed query before it is written.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TextIO

from engine.config import Settings
from engine.events import AlertRaised, Event, KillReport, LogMessage, RecoveryCompleted
from engine.execution.state import EngineState

_SIGNED = re.compile(
    r"(signature|api[-_]?key|x-mbx-apikey|secret|password|token)(['\"]?\s*[:=]\s*['\"]?)[^\s&'\",}]+",
    re.I,
)
_QUERY = re.compile(r"(https?://[^\s?\"']+)\?[^\s\"']*")


def log_path_for(db_path: str | Path) -> Path:
    return Path(db_path).expanduser().with_suffix(".log")


def configured_secrets(settings: Settings, environ: Mapping[str, str] | None = None) -> list[str]:
    """The values of every credential environment variable the configuration names."""
    env = os.environ if environ is None else environ
    names = [
        n
        for v in settings.broker.venues
        for n in (v.api_key_env, v.secret_env, v.password_env)
        if n
    ]
    if settings.store.password_env:  # the PostgreSQL history's password
        names.append(settings.store.password_env)
    return sorted({env[n] for n in names if env.get(n)}, key=len, reverse=True)


def scrub(text: str, secrets: Iterable[str]) -> str:
    for s in secrets:
        text = text.replace(s, "***")
    text = _QUERY.sub(r"\1?***", text)
    return _SIGNED.sub(r"\1\2***", text)


def open_private(path: Path) -> TextIO:
    """Append-only, created 0600 in a 0700 directory; a looser existing file is tightened."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.fchmod(fd, 0o600)
    return os.fdopen(fd, "a", encoding="utf-8", buffering=1)


def render(ev: Event) -> str | None:
    if isinstance(ev, LogMessage):
        return f"{ev.level.upper():<7} {ev.message}"
    if isinstance(ev, AlertRaised):
        return f"ALERT   {ev.kind}: {ev.message}"
    if isinstance(ev, KillReport):
        failed = "; ".join(f"{w}: {r}" for w, r in ev.failed) or "none"
        what = f"retry {ev.followup}: confirmed" if ev.followup else "cancelled"
        return f"KILL    {what} {ev.cancelled}, failed: {failed}"
    if isinstance(ev, RecoveryCompleted):
        return (
            f"RECOVER parents {ev.parents}, children {ev.children_reconciled}, fills recovered "
            f"{ev.fills_recovered}, resumed {len(ev.resumed)}, cancelled {len(ev.cancelled)}, "
            f"orphans {len(ev.orphans)}, failed {len(ev.failed)}"
        )
    return None


class LogFile:
    """Follows an engine's events and appends the ones worth keeping."""

    def __init__(self, path: Path, secrets: list[str]) -> None:
        self.path = path
        self._secrets = secrets
        self._fh = open_private(path)
        self._task: asyncio.Task[None] | None = None

    def write(self, ev: Event) -> None:
        line = render(ev)
        if line is not None:
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ev.ts))
            self._fh.write(scrub(f"{stamp}Z {line}", self._secrets) + "\n")

    def attach(self, state: EngineState) -> None:
        queue = state.bus.subscribe()

        async def follow() -> None:
            while True:
                self.write(await queue.get())

        self._task = asyncio.get_running_loop().create_task(follow(), name="engine-log-file")
        self._queue = queue
        self._bus = state.bus

    async def close(self) -> None:
        if self._task is not None:
            while not self._queue.empty():  # what was published before stop still gets written
                self.write(self._queue.get_nowait())
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._bus.unsubscribe(self._queue)
        self._fh.close()


def attach_log_file(state: EngineState, path: Path) -> LogFile | None:
    """Start the engine's log file; a file that cannot be opened is reported, never fatal."""
    try:
        lf = LogFile(path, configured_secrets(state.settings))
    except OSError as e:
        state.log("warning", f"no log file at {path}: {e.strerror or e}")
        return None
    lf.attach(state)
    return lf
