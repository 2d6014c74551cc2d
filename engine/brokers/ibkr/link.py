"""The adapter's two API connections to TWS / IB Gateway, and their reconnection with backoff."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Literal

from ib_async import IB

from engine.brokers.base import AuthenticationFailed, VenueUnavailable
from engine.brokers.ibkr.session import ClientIds, claim, open_ib, release
from engine.config import BrokerConfig

Sleep = Callable[[float], Awaitable[None]]
StateHandler = Callable[[bool, str], None]
Role = Literal["broker", "data"]


class IBLink:
    """Orders and account on client id +0 ("broker"), contracts and quotes on +1 ("data")."""

    def __init__(
        self,
        venue: str,
        config: BrokerConfig,
        sleep: Sleep,
        on_broker_open: Callable[[IB], None],
        backoff: tuple[float, float] = (0.5, 30.0),
        on_data_open: Callable[[IB], None] | None = None,
    ) -> None:
        self.venue = venue
        self.config = config
        self.ids = ClientIds.from_base(config.ibkr_client_id)
        self.account = config.ibkr_account_id
        self.detail = "not connected"
        self.upstream_ok = True  # False between IB errors 1100 and 1101/1102
        self.reconnect_attempts = 0
        self._sleep = sleep
        self._on_broker_open = on_broker_open
        self._on_data_open = on_data_open
        self._backoff = backoff
        self._ib: dict[Role, IB | None] = {"broker": None, "data": None}
        self._claimed = False
        self._closing = False
        self._reconnects: dict[Role, asyncio.Task[None]] = {}
        self._handlers: list[StateHandler] = []

    @property
    def where(self) -> str:
        return f"{self.config.ibkr_host}:{self.config.ibkr_port}"

    @property
    def connected(self) -> bool:
        return all(ib is not None and ib.isConnected() for ib in self._ib.values())

    def is_up(self, role: Role) -> bool:
        ib = self._ib[role]
        return ib is not None and ib.isConnected()

    def on_state(self, handler: StateHandler) -> None:
        self._handlers.append(handler)

    def set_state(self, connected: bool, detail: str) -> None:
        self.detail = detail
        for h in self._handlers:
            h(connected, detail)

    async def open(self) -> None:
        """Both connections within ibkr_timeout_s, or VenueUnavailable naming host:port and why."""
        if self.connected:
            return
        self._closing = False
        if not self._claimed:
            claim(self.venue, self.config.ibkr_host, self.config.ibkr_port, self.ids)
            self._claimed = True
        results = await asyncio.gather(
            self._open("broker"), self._open("data"), return_exceptions=True
        )
        failed = [r for r in results if isinstance(r, BaseException)]
        if failed:
            await self.close()
            raise failed[0]
        self.set_state(
            True, f"connected to {self.where} as client ids {self.ids.broker}/{self.ids.data}"
        )

    async def close(self) -> None:
        self._closing = True
        for t in self._reconnects.values():
            t.cancel()
        await asyncio.gather(*self._reconnects.values(), return_exceptions=True)
        self._reconnects.clear()
        for role, ib in self._ib.items():
            if ib is not None:
                ib.disconnect()
            self._ib[role] = None
        if self._claimed:
            release(self.config.ibkr_host, self.config.ibkr_port, self.ids)
            self._claimed = False

    def broker(self) -> IB:
        ib = self._ib["broker"]
        if ib is None or not ib.isConnected():
            raise VenueUnavailable(self.venue, f"not connected to {self.where}: {self.detail}")
        if not self.upstream_ok:
            raise VenueUnavailable(
                self.venue,
                f"{self.where} lost its connection to IB (error 1100); orders cannot be routed",
            )
        return ib

    def data(self) -> IB:
        ib = self._ib["data"]
        if ib is None or not ib.isConnected():
            raise VenueUnavailable(
                self.venue, f"data connection to {self.where} is down: {self.detail}"
            )
        return ib

    async def timed(self, what: str, aw: Awaitable[object]) -> object:
        """One request bounded by ibkr_timeout_s; a timeout or dropped socket is VenueUnavailable."""
        timeout = self.config.ibkr_timeout_s
        try:
            return await asyncio.wait_for(aw, timeout)
        except TimeoutError:
            raise VenueUnavailable(
                self.venue, f"{what}: no answer from {self.where} within {timeout:g}s"
            ) from None
        except ConnectionError as e:
            raise VenueUnavailable(
                self.venue, f"{what}: connection to {self.where} lost ({e})"
            ) from None

    async def _open(self, role: Role) -> None:
        cfg = self.config
        if role == "broker":
            ib = await open_ib(
                self.venue,
                cfg.ibkr_host,
                cfg.ibkr_port,
                self.ids.broker,
                cfg.ibkr_timeout_s,
                account=self.account,
            )
            accounts = ib.managedAccounts()
            if self.account and self.account not in accounts:
                ib.disconnect()
                managed = ", ".join(accounts)
                raise AuthenticationFailed(
                    self.venue,
                    f"account {self.account!r} is not managed by this login at {self.where} (managed: {managed})",
                )
            self.account = self.account or (accounts[0] if accounts else "")
            self._ib["broker"] = ib
            self._on_broker_open(ib)
        else:
            ib = await open_ib(
                self.venue,
                cfg.ibkr_host,
                cfg.ibkr_port,
                self.ids.data,
                cfg.ibkr_timeout_s,
                readonly=True,
            )
            self._ib["data"] = ib
            if self._on_data_open is not None:
                self._on_data_open(ib)
        ib.disconnectedEvent += lambda: self._on_disconnected(role, ib)

    def _on_disconnected(self, role: Role, ib: IB) -> None:
        if self._closing or self._ib[role] is not ib:
            return
        self._ib[role] = None
        self.set_state(False, f"{role} connection to {self.where} lost; reconnecting")
        if role not in self._reconnects or self._reconnects[role].done():
            loop = asyncio.get_running_loop()
            self._reconnects[role] = loop.create_task(
                self._reconnect(role), name=f"ibkr-reconnect-{role}"
            )

    async def _reconnect(self, role: Role) -> None:
        """Re-open one connection, waiting 0.5 s, 1 s, 2 s ... (capped) between attempts, until closed."""
        first, cap = self._backoff
        attempt = 0
        while not self._closing:
            await self._sleep(min(cap, first * 2**attempt))
            if self._closing:
                return
            self.reconnect_attempts += 1
            try:
                await self._open(role)
            except Exception as e:  # keep trying: a gateway restart takes minutes
                attempt += 1
                self.detail = (
                    f"{role} reconnect attempt {attempt} failed: {getattr(e, 'message', e)}"
                )
                continue
            if self.connected:
                self.set_state(True, f"reconnected to {self.where} after {attempt + 1} attempt(s)")
            return
