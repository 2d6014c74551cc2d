"""Whether the console can run the what-if of a parent, and if not, the one line that says why."""

from __future__ import annotations

from typing import Any


def whatif_refusal(parent_id: str, parent: Any | None, provider: str) -> str | None:
    """None when `parent` is finished and ran on recorded files; else what stops the what-if."""
    if parent is None:
        return f"{parent_id}: not a parent of this session; tranche whatif {parent_id} reads the history"
    if not parent.status.parent_finished:
        return f"{parent_id} is still {parent.status.value}: what-if needs a finished parent"
    if provider != "replay":
        return (
            f"{parent_id} ran on {provider} venues, not on a recording: what-if re-runs a "
            "recorded market (tranche console --replay FILE[,FILE], "
            f"or tranche whatif {parent_id} --replay FILE)"
        )
    return None
