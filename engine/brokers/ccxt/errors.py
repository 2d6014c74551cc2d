"""ccxt exceptions to engine errors, with every credential and signed query scrubbed from messages."""

from __future__ import annotations

import logging
import re
import weakref
from collections.abc import Iterable

import ccxt.async_support as ccxt

from engine.brokers.base import (
    AuthenticationFailed,
    BrokerError,
    InsufficientFunds,
    NonceRejected,
    OrderNotFound,
    OrderRejected,
    RateLimited,
    UnknownSymbol,
    VenueUnavailable,
)

_QUERY = re.compile(r"(https?://[^\s?\"']+)\?[^\s\"']*")
_SIGNATURE = re.compile(
    r"(signature|api[-_]?sign|apikey|api[-_]?key|X-MBX-APIKEY|API-Key)(['\"]?\s*[:=]\s*['\"]?)[A-Za-z0-9+/=_-]+",
    re.I,
)
_AUTH_WORDS = re.compile(r"Invalid (signature|key|API-key)|API key does not exist", re.I)


class Redactor:
    """Knows the secrets of every live venue; removes them (and signed query strings) from text."""

    def __init__(self) -> None:
        self._owners: weakref.WeakKeyDictionary[object, tuple[str, ...]] = (
            weakref.WeakKeyDictionary()
        )

    def register(self, owner: object, secrets: Iterable[str]) -> None:
        self._owners[owner] = tuple(s for s in secrets if s)

    def secrets(self) -> list[str]:
        found = {s for group in self._owners.values() for s in group}
        return sorted(found, key=len, reverse=True)  # longest first: a key inside a longer secret

    def scrub(self, text: str) -> str:
        for s in self.secrets():
            text = text.replace(s, "***")
        text = _QUERY.sub(r"\1?***", text)
        return _SIGNATURE.sub(r"\1\2***", text)


REDACTOR = Redactor()


class _RedactingFilter(logging.Filter):
    """ccxt logs request headers (API keys) at debug level: scrub the record before any handler sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = REDACTOR.scrub(record.getMessage())
        record.args = None
        return True


def install_log_redaction() -> None:
    """Attach the filter to ccxt's loggers once (filters do not inherit, so each named logger)."""
    for name in ("ccxt", "ccxt.base.exchange", "ccxt.async_support.base.exchange"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _RedactingFilter) for f in logger.filters):
            logger.addFilter(_RedactingFilter())


def is_rate_limit(exc: BaseException) -> bool:
    return isinstance(exc, ccxt.DDoSProtection | ccxt.RateLimitExceeded)


def is_transient(exc: BaseException) -> bool:
    """Network trouble that an idempotent retry may cure (nonce and rate limits are handled apart)."""
    return (
        isinstance(exc, ccxt.NetworkError)
        and not isinstance(exc, ccxt.InvalidNonce)
        and not is_rate_limit(exc)
    )


def to_engine_error(
    venue: str, exc: BaseException, *, during: str, credential_hint: str = ""
) -> BrokerError:
    """One engine error naming what failed and why, never carrying a credential."""
    detail = REDACTOR.scrub(str(exc)) or type(exc).__name__
    if isinstance(exc, ccxt.InsufficientFunds):
        return InsufficientFunds(venue, f"{during}: insufficient funds: {detail}")
    # Some venues' errors reach ccxt's generic classes; their own words say what happened.
    if isinstance(exc, ccxt.OrderNotFound) or (
        isinstance(exc, ccxt.InvalidOrder) and "Unknown order" in detail
    ):
        return OrderNotFound(venue, f"{during}: order not found: {detail}")
    if isinstance(exc, ccxt.BadSymbol):
        return UnknownSymbol(venue, f"{during}: unknown symbol: {detail}")
    if isinstance(exc, ccxt.InvalidOrder):
        return OrderRejected(venue, f"{during}: order rejected: {detail}")
    if isinstance(exc, ccxt.AuthenticationError) or (
        isinstance(exc, ccxt.ExchangeError) and _AUTH_WORDS.search(detail)
    ):
        hint = f" (check {credential_hint})" if credential_hint else ""
        return AuthenticationFailed(venue, f"{during}: credentials refused{hint}: {detail}")
    if isinstance(exc, ccxt.InvalidNonce):
        return NonceRejected(
            venue,
            f"{during}: nonce or timestamp refused (clock skew, or the key is used by another process): {detail}",
        )
    if is_rate_limit(exc):
        return RateLimited(venue, f"{during}: rate limited, gave up after backing off: {detail}")
    if isinstance(exc, ccxt.NetworkError):
        return VenueUnavailable(venue, f"{during}: venue unreachable after retries: {detail}")
    if during.startswith("submit") and isinstance(exc, ccxt.ExchangeError):
        return OrderRejected(venue, f"{during}: order rejected: {detail}")
    return BrokerError(venue, f"{during}: {detail}")
