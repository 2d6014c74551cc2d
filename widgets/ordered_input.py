"""A text field that applies every key in the order typed, editing keys included."""

from __future__ import annotations

from textual import events
from textual.widgets import Input


class OrderedInput(Input):
    """Runs editing keys (backspace, delete, arrows, ctrl+u) the moment they reach the field.

    Textual inserts printable keys when the field handles them but runs bound keys only after
    the key has bubbled back up to the app. In a burst (a fast typist, a paste of keystrokes, a
    busy screen) `100`, backspace x3, `50000` then became 50000 typed first and erased after:
    a quantity of 5 on screen. Here each key takes effect in its turn.
    """

    async def _on_key(self, event: events.Key) -> None:
        if not event.is_printable and await self._run_own_binding(event.key):
            event.stop()
            event.prevent_default()
            return
        await super()._on_key(event)

    async def _run_own_binding(self, key: str) -> bool:
        """The field's own binding for `key` (keymap applied), run now; False when it has none."""
        for namespace, bindings in self.screen._modal_binding_chain:
            if namespace is not self:
                continue
            for binding in bindings.key_to_bindings.get(key, ()):
                if not binding.priority and await self.app.run_action(binding.action, self):
                    return True
        return False
