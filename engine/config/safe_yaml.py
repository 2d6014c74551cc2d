"""The one YAML reader: refuses aliases, so a few bytes of config cannot expand into gigabytes."""

from __future__ import annotations

from typing import Any

import yaml
from yaml.events import AliasEvent


class YamlRefused(ValueError):
    """A YAML text that parsed but is not acceptable (an alias, an absurd number)."""


class _NoAliasLoader(yaml.SafeLoader):
    """SafeLoader that stops at the first alias (`*name`) instead of expanding it."""

    def compose_node(self, parent: Any, index: Any) -> Any:  # type: ignore[override]
        if self.check_event(AliasEvent):
            event = self.peek_event()
            line = event.start_mark.line + 1 if event.start_mark else 0
            raise YamlRefused(f"line {line}: YAML aliases (*{event.anchor}) are not accepted")
        return super().compose_node(parent, index)


def load_yaml(text: str) -> Any:
    """Parse one YAML document safely; YamlRefused or yaml.YAMLError name what was wrong."""
    try:
        return yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 - a SafeLoader subclass
    except ValueError as e:  # int() of a 5,000-digit number, a refused alias
        if isinstance(e, YamlRefused):
            raise
        raise YamlRefused(f"a value is out of range: {str(e).split(':')[0]}") from None
