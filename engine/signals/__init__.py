"""Signals in: strategies hand the engine their signals over Redis Streams or the local HTTP API.

`desk.SignalDesk` decides each signal (journal, staleness, HALTED, Half-Kelly, auto limits or the
trader's confirmation); `redis_in` reads the stream, `redis_out` publishes fills and updates,
`http/` serves the local API; `service.SignalService` starts what the configuration enables.
Above the engine facade: it uses the same public API as the console.
"""
