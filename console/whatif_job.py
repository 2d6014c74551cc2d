"""The console's what-if, run in a process of its own: its replays are pure Python CPU work, and in
a thread of the console's process they held the interpreter lock for tens of seconds, during
which the screen neither painted nor answered a key.

The child is `python -m console.whatif_job`: the request (settings, parent, files, algorithms) goes
in as JSON on stdin, the answer comes back as one JSON object on stdout; secrets are masked in the
settings it gets (a replay needs none).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from typing import Any

from engine.config import Settings


def parent_row(parent: Any) -> dict[str, Any]:
    """The parent as the history gives it to `tranche whatif` (what engine.whatif reads)."""
    t = parent.ticket
    return {
        "parent_id": parent.parent_id, "symbol": t.symbol, "side": t.side.value,
        "quantity": str(t.quantity), "algo": parent.algo, "created_ts": parent.created_ts,
        "shortfall_bps": parent.shortfall_bps,
        "ticket": {"strength": t.signal.strength, "venue": t.venue, "algo": t.algo},
    }  # fmt: skip


async def run_whatif(
    settings: Settings, row: dict[str, Any], files: list[str], algos: list[str]
) -> tuple[bool, Any]:
    """(True, the CLI's JSON dict) or (False, a one-line reason), from a child process."""
    request = json.dumps(
        {"settings": settings.model_dump(mode="json"), "row": row, "files": files, "algos": algos}
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "console.whatif_job",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        out, err = await proc.communicate(request.encode())
    finally:
        if proc.returncode is None:  # cancelled (the console quit): the child goes too
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
    try:
        answer = json.loads(out)
        return bool(answer["ok"]), answer["out"]
    except (ValueError, KeyError):
        last = (err.decode(errors="replace").strip().splitlines() or ["no output"])[-1]
        return False, f"what-if failed: the re-run process exited {proc.returncode}: {last}"


def main() -> None:
    from console.commands.whatif import result_dict
    from engine.whatif import what_if

    try:
        req = json.loads(sys.stdin.read())
        settings = Settings.model_validate(req["settings"])
        w = asyncio.run(what_if(settings, req["row"], req["files"], req["algos"]))
        answer: dict[str, Any] = {"ok": True, "out": result_dict(w)}
    except Exception as e:  # every failure is one line for the screen, never a traceback
        answer = {"ok": False, "out": f"what-if failed: {e}"}
    sys.stdout.write(json.dumps(answer))


if __name__ == "__main__":
    main()
