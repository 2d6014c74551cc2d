"""`tranche store migrate --from URL --to URL` / `tranche store check [--db URL]`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from console.cli import CliError, add_common, add_db, db_file, emit


def register(sub: Any) -> None:
    p = sub.add_parser("store", help="move a history between SQLite and PostgreSQL / verify one")
    verbs = p.add_subparsers(dest="verb", required=True)
    m = verbs.add_parser("migrate", help="copy a history (resumable; counts checked at the end)")
    m.add_argument("--from", dest="source", type=db_file, required=True, metavar="URL",
                   help="sqlite:///PATH, a path, or postgresql://USER@HOST:PORT/DB")  # fmt: skip
    m.add_argument("--to", dest="dest", type=db_file, required=True, metavar="URL",
                   help="where to copy it (created and brought to the current schema)")  # fmt: skip
    add_common(m)
    m.set_defaults(handler=run_migrate)
    c = verbs.add_parser("check", help="schema version, row counts, orphan fills")
    add_db(c, "history (path or URL)")
    add_common(c)
    c.set_defaults(handler=run_check)


def _store(settings: Any, target: str) -> Any:
    """A store for `target`; a server's password comes from store.password_env (or the URL)."""
    from engine.store.target import history_store

    return history_store(settings, target)


async def _migrate(settings: Any, source: str, dest: str, quiet: bool) -> dict[str, Any]:
    from engine.store.migrate import migrate
    from engine.store.target import history_exists

    if not history_exists(source):
        raise CliError(f"--from: {source} does not exist")
    src, dst = _store(settings, source), _store(settings, dest)
    await _open(src, "--from")
    try:
        await _open(dst, "--to")
        try:

            def progress(table: str, rows: int) -> None:
                if not quiet:
                    sys.stderr.write(f"\r{table}: {rows:,} rows copied   ")

            counts = await migrate(src, dst, on_page=progress)
            if not quiet:
                sys.stderr.write("\n")
        finally:
            await dst.close()
    finally:
        await src.close()
    return {
        "from": src.url,
        "to": dst.url,
        "tables": [
            {
                "table": c.table,
                "source": c.source,
                "copied": c.copied,
                "destination": c.destination,
                "ok": c.ok,
            }
            for c in counts
        ],  # fmt: skip
        "ok": all(c.ok for c in counts),
    }


async def _open(store: Any, flag: str) -> None:
    from engine.store import StoreError

    try:
        await store.open()
    except StoreError as e:
        raise CliError(f"{flag}: {e}") from None


def run_migrate(args: argparse.Namespace) -> int:
    from engine.config import load_settings

    settings = load_settings(args.config)
    try:
        data = asyncio.run(_migrate(settings, args.source, args.dest, args.json))
    except ValueError as e:
        raise CliError(f"--to: {e}") from None
    emit(args, data, human_migrate)
    return 0 if data["ok"] else 2


def human_migrate(d: dict[str, Any]) -> str:
    lines = [f"copied {d['from']} -> {d['to']}"]
    for t in d["tables"]:
        mark = "ok" if t["ok"] else "MISMATCH"
        lines.append(
            f"  {t['table']:<15} source {t['source']:>10,}  copied {t['copied']:>10,}"
            f"  destination {t['destination']:>10,}  {mark}"
        )
    lines.append("counts agree" if d["ok"] else "counts DO NOT agree: run it again to resume")
    return "\n".join(lines)


async def _check(settings: Any, target: str) -> dict[str, Any]:
    from engine.store.check import check_store
    from engine.store.target import history_exists

    if not history_exists(target):
        raise CliError(f"--db: {target} does not exist")
    store = _store(settings, target)
    await _open(store, "--db")
    try:
        return await check_store(store)
    finally:
        await store.close()


def run_check(args: argparse.Namespace) -> int:
    from engine.config import load_settings
    from engine.store.target import history_target

    settings = load_settings(args.config)
    data = asyncio.run(_check(settings, history_target(settings, args.db)))
    emit(args, data, human_check)
    return 0 if data["ok"] else 2


def human_check(d: dict[str, Any]) -> str:
    lines = [
        f"{d['store']} ({d['backend']})",
        f"schema version {d['schema_version']} (this build: {d['schema_latest']})",
        "rows: " + ", ".join(f"{k} {v:,}" for k, v in d["rows"].items()),
    ]
    lines += [f"{what}: {n:,}" for what, n in d["orphans"].items()]
    lines.append(f"timescaledb: {d['timescaledb']}")
    lines.append("ok" if d["ok"] else "NOT ok")
    return "\n".join(lines)
