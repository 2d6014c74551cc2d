"""Opening one ib-async connection: bounded by a timeout, with IB's refusals turned into engine errors."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

from ib_async import IB, StartupFetch, StartupFetchALL

from engine.brokers.base import VenueUnavailable

CLIENT_ID_IN_USE = 326
_claimed: set[tuple[str, int, int]] = (
    set()
)  # (host, port, client id) held by a connection of this process


class ClientIdInUse(VenueUnavailable):
    """TWS refused the client id (IB error 326) or another connection of this process holds it."""

    retryable = False


@dataclass(frozen=True, slots=True)
class ClientIds:
    """One adapter's ids: orders and account on +0, reference and market data on +1, a streaming feed on +2."""

    broker: int
    data: int
    feed: int

    @classmethod
    def from_base(cls, base: int) -> ClientIds:
        return cls(base, base + 1, base + 2)

    def all(self) -> tuple[int, int, int]:
        return (self.broker, self.data, self.feed)


def claim(venue: str, host: str, port: int, ids: ClientIds) -> None:
    """Reserve the ids for this process, so two adapters never share a connection id."""
    keys = [(host, port, i) for i in ids.all()]
    taken = [k[2] for k in keys if k in _claimed]
    if taken:
        raise ClientIdInUse(
            venue,
            f"client id {taken[0]} at {host}:{port} is already used by another connection of this process; set broker.ibkr_client_id so ids +0..+2 are free",
        )
    _claimed.update(keys)


def release(host: str, port: int, ids: ClientIds) -> None:
    for i in ids.all():
        _claimed.discard((host, port, i))


async def open_ib(
    venue: str,
    host: str,
    port: int,
    client_id: int,
    timeout_s: float,
    *,
    account: str = "",
    readonly: bool = False,
) -> IB:
    """A connected, synchronised IB; raises VenueUnavailable (or ClientIdInUse) within `timeout_s`."""
    where = f"{host}:{port} (client id {client_id})"
    ib = IB()
    loop = asyncio.get_running_loop()
    refused: asyncio.Future[tuple[int, str]] = loop.create_future()

    def on_error(req_id: int, code: int, message: str, contract: object) -> None:
        if code == CLIENT_ID_IN_USE and not refused.done():
            refused.set_result((code, message))

    def on_api_error(message: str) -> None:  # the peer closed before the API was ready
        if not refused.done():
            refused.set_result((0, message))

    ib.errorEvent += on_error
    ib.client.apiError += on_api_error
    fetch = StartupFetchALL if not readonly else StartupFetch.POSITIONS
    connecting = asyncio.ensure_future(
        ib.connectAsync(
            host,
            port,
            clientId=client_id,
            timeout=timeout_s,
            readonly=readonly,
            account=account,
            raiseSyncErrors=True,
            fetchFields=fetch,
        )
    )
    try:
        done, _ = await asyncio.wait(
            {connecting, refused}, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED
        )
        if connecting in done:
            connecting.result()  # re-raises a connect failure
            return ib
        if refused in done:
            code, message = refused.result()
            if code == CLIENT_ID_IN_USE:
                raise ClientIdInUse(
                    venue,
                    f"{where}: IB error 326: client id {client_id} is already in use by another API session; set broker.ibkr_client_id to a free id",
                )
            # ib-async reports a refused TWS socket as the peer closing it; the connect task has the real cause
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(connecting), 0.05)
            if (
                connecting.done()
                and not connecting.cancelled()
                and connecting.exception() is not None
            ):
                connecting.result()
            raise VenueUnavailable(venue, f"cannot connect to {where}: {message}")
        raise VenueUnavailable(
            venue,
            f"cannot connect to {where}: no API handshake within {timeout_s:g}s (is TWS / IB Gateway running with the API enabled?)",
        )
    except VenueUnavailable:
        _abandon(ib, connecting)
        raise
    except ConnectionRefusedError:
        _abandon(ib, connecting)
        raise VenueUnavailable(
            venue,
            f"cannot connect to {where}: connection refused (is TWS / IB Gateway running with the API port open?)",
        ) from None
    except (TimeoutError, OSError, ConnectionError) as e:
        _abandon(ib, connecting)
        raise VenueUnavailable(
            venue, f"cannot connect to {where}: {type(e).__name__}: {e}"
        ) from None
    finally:
        ib.errorEvent -= on_error
        ib.client.apiError -= on_api_error


def _abandon(ib: IB, connecting: asyncio.Future[object]) -> None:
    if not connecting.done():
        connecting.cancel()
    elif not connecting.cancelled():
        connecting.exception()  # mark retrieved: the error is reported through ours
    if ib.client.isReady():
        ib.disconnect()
    else:  # IB.disconnect insists on a ready API; the socket may be half open
        ib.client.disconnect()
