"""The bearer token: read from the environment variable the configuration names, compared in
constant time; without it the API does not start (it can send orders and kill)."""

from __future__ import annotations

import hmac
import ipaddress
import os
from typing import Annotated

from fastapi import Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException

from engine.config import SignalsConfig
from engine.models import InputError

MIN_TOKEN = 16


def api_token(cfg: SignalsConfig) -> str:
    token = os.environ.get(cfg.http_token_env, "") if cfg.http_token_env else ""
    if len(token) < MIN_TOKEN:
        raise InputError(
            "signals.http_token_env",
            f"${cfg.http_token_env or '(unset)'} must hold a bearer token of at least {MIN_TOKEN}"
            " characters: the API can send orders and halt trading",
        )
    return token


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind(cfg: SignalsConfig) -> None:
    """Beyond loopback only with TLS (the token would otherwise cross the network in clear)."""
    if is_loopback(cfg.http_host):
        return
    if not (cfg.http_tls_cert and cfg.http_tls_key):
        raise InputError(
            "signals.http_host",
            f"{cfg.http_host} is not a loopback address: set http_tls_cert and http_tls_key"
            " (and a token) to serve beyond this machine, or bind 127.0.0.1",
        )


SCHEME = HTTPBearer(
    auto_error=False, description="The token in $TRANCHE_API_TOKEN (signals.http_token_env)."
)


class Bearer:
    """A FastAPI dependency: 401 unless `Authorization: Bearer <token>` matches."""

    def __init__(self, token: str) -> None:
        self._token = token.encode()

    async def __call__(
        self, creds: Annotated[HTTPAuthorizationCredentials | None, Security(SCHEME)]
    ) -> None:
        given = creds.credentials.encode() if creds is not None else b""
        if not hmac.compare_digest(given, self._token):
            raise HTTPException(
                401, "missing or wrong bearer token", {"WWW-Authenticate": "Bearer"}
            )
