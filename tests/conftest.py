"""Session-wide fixtures: real PostgreSQL and Redis servers, started once and only when asked for."""

from __future__ import annotations

import os

import pytest

from tests.fakes.histories import fresh_history
from tests.fakes.servers import postgres_server, redis_server


@pytest.fixture(scope="session", autouse=True)
def own_default_history(tmp_path_factory):
    """The default history (and any file under the user's data dir) lives in the session's tmp:
    a test must never read or write the trader's own ~/.local/share/tranche/fills.db."""
    old = os.environ.get("XDG_DATA_HOME")
    os.environ["XDG_DATA_HOME"] = str(tmp_path_factory.mktemp("xdg-data"))
    yield
    if old is None:
        os.environ.pop("XDG_DATA_HOME", None)
    else:
        os.environ["XDG_DATA_HOME"] = old


@pytest.fixture(scope="session")
def pg_url():
    """A PostgreSQL URL: $TRANCHE_TEST_PG_URL, else a throwaway server on loopback."""
    if os.environ.get("TRANCHE_TEST_PG_URL"):
        yield os.environ["TRANCHE_TEST_PG_URL"]
        return
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="session")
def redis_url():
    """A Redis URL: $TRANCHE_TEST_REDIS_URL, else a throwaway server on loopback."""
    if os.environ.get("TRANCHE_TEST_REDIS_URL"):
        yield os.environ["TRANCHE_TEST_REDIS_URL"]
        return
    with redis_server() as url:
        yield url


@pytest.fixture
async def pg_history(pg_url, tmp_path):
    """An empty history of its own (a schema) on the session's PostgreSQL server."""
    async with fresh_history("postgresql", tmp_path, pg_url) as url:
        yield url
