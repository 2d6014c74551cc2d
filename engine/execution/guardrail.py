"""The one adaptive-TWAP guardrail an engine shares: its trips alerted and stored, its switch-off restored."""

from __future__ import annotations

from datetime import UTC, datetime

from engine.algos.guardrail import SWITCH_OFF
from engine.execution.state import EngineState


def wire_guardrail(state: EngineState) -> None:
    """The state's guardrail: its trips reach the quality tracker (event and stored alert) and
    the log; a switch-off is stored."""
    g = state.guardrail

    def alert(message: str, value: float, threshold: float, symbol: str) -> None:
        state.quality.raise_guardrail_alert(
            message=message, value=value, threshold=threshold, symbol=symbol
        )
        state.log("warning", message)

    def store_switch_off(reason: str) -> None:
        if state.store is not None:
            state.store.record_event(
                ts=state.clock.now(), kind=SWITCH_OFF, payload={"reason": reason}
            )

    g.alert, g.on_disable = alert, store_switch_off


async def restore_switch_off(state: EngineState) -> None:
    """A switch-off stored within the evidence window still holds after a restart."""
    s = state.settings
    if state.store is None or not s.algos.guardrail_auto_disable:
        return
    window = s.router.lookback_days * 86400
    found = await state.store.events(since_ts=state.clock.now() - window, kind=SWITCH_OFF)
    if not found:
        return
    last, g = found[-1], state.guardrail
    g.enabled = False
    when = datetime.fromtimestamp(last["ts"], UTC).strftime("%Y-%m-%d %H:%M UTC")
    payload = last.get("payload")
    reason = str(payload.get("reason", "")) if isinstance(payload, dict) else ""
    g.disabled_reason = (
        f"switched off {when} (stored; holds for {s.router.lookback_days} days): {reason}"
    )
    state.log("warning", f"adaptive path stays off: {g.disabled_reason}")
