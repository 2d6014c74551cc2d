"""Command palette provider: every console action by name, and the Tranche themes."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from console.bindings import ACTIONS
from themes import THEME_NAMES


class TrancheCommands(Provider):
    """The same actions as the key bindings, so nothing is reachable only by a key."""

    def _commands(self) -> list[tuple[str, str, object]]:
        out: list[tuple[str, str, object]] = [
            (a.title, a.help, partial(self.app.run_action, a.action)) for a in ACTIONS
        ]
        out.append(
            (
                "What-if: last finished parent",
                "Re-run the newest finished parent on its recorded market under each algorithm",
                partial(self.app.run_action, "whatif_last"),
            )
        )
        out += [
            (
                f"Theme: {name}",
                f"Switch to the {name} theme",
                partial(setattr, self.app, "theme", name),
            )
            for name in THEME_NAMES
        ]
        return out

    async def discover(self) -> Hits:
        for title, help_text, cb in self._commands():
            yield DiscoveryHit(title, cb, help=help_text)  # type: ignore[arg-type]

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, cb in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), cb, help=help_text)  # type: ignore[arg-type]
