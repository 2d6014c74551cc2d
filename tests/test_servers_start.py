"""The throwaway servers the store and signal tests use really start and answer."""

from __future__ import annotations

import socket
from urllib.parse import urlparse


def _answers(url: str) -> bool:
    u = urlparse(url)
    with socket.create_connection((u.hostname, u.port), timeout=2):
        return True


def test_postgres_server_listens_on_loopback(pg_url):
    assert urlparse(pg_url).hostname == "127.0.0.1"
    assert _answers(pg_url)


def test_redis_server_answers_ping(redis_url):
    u = urlparse(redis_url)
    with socket.create_connection((u.hostname, u.port), timeout=2) as s:
        s.sendall(b"PING\r\n")
        assert s.recv(16).startswith(b"+PONG")
