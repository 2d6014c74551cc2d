"""uvicorn in the engine's own event loop, on a socket bound here (so port 0 tells its port)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator

import uvicorn

from engine.config import SignalsConfig
from engine.models import InputError
from engine.signals.desk import SignalDesk
from engine.signals.http.app import build_app
from engine.signals.http.auth import api_token, check_bind


class QuietServer(uvicorn.Server):
    """Leaves SIGINT / SIGTERM to the console or `tranche listen`, which own the process."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class ApiServer:
    def __init__(self, cfg: SignalsConfig, desk: SignalDesk) -> None:
        check_bind(cfg)
        self.cfg = cfg
        self.desk = desk
        self.app = build_app(desk, api_token(cfg))
        self.address = ""
        self._server: QuietServer | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        cfg = self.cfg
        family = socket.AF_INET6 if ":" in cfg.http_host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((cfg.http_host, cfg.http_port))
        except OSError as e:
            sock.close()
            raise InputError(
                "signals.http_port",
                f"cannot listen on {cfg.http_host}:{cfg.http_port}: {e.strerror}",
            ) from None
        tls = bool(cfg.http_tls_cert and cfg.http_tls_key)
        config = uvicorn.Config(
            self.app,
            log_config=None,
            access_log=False,
            lifespan="off",
            ssl_certfile=cfg.http_tls_cert or None,
            ssl_keyfile=cfg.http_tls_key or None,
        )
        self._server = QuietServer(config)
        host, port = sock.getsockname()[:2]
        self.address = f"{'https' if tls else 'http'}://{host}:{port}"
        self._task = asyncio.get_running_loop().create_task(self._server.serve(sockets=[sock]))
        while not self._server.started and not self._task.done():
            await asyncio.sleep(0.01)
        if self._task.done():
            self._task.result()  # the reason it could not start
        self.desk.engine.log(
            "info", f"signals: HTTP API on {self.address} (OpenAPI at /openapi.json)"
        )

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await asyncio.wait({self._task}, timeout=5)
