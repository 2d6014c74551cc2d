"""The store's SQL is written once, in the portable subset SQLite and PostgreSQL share; this turns
its `?` marks into PostgreSQL's `$n` (and a REAL cast into double precision: PostgreSQL's REAL is
4 bytes). Statements are translated once and cached; anything outside the subset is refused
loudly rather than guessed at.
"""

from __future__ import annotations

import functools
import re

_REAL_CAST = re.compile(r"\bAS\s+REAL\s*\)", re.IGNORECASE)
_SQLITE_ONLY = ("INSERT OR ", "PRAGMA ", "NOT INDEXED", "INDEXED BY")


@functools.lru_cache(maxsize=512)
def to_postgres(sql: str) -> str:
    """`?` -> `$1, $2, ...` outside string literals; `AS REAL)` -> `AS DOUBLE PRECISION)`."""
    upper = sql.upper()
    for word in _SQLITE_ONLY:
        if word in upper:
            raise ValueError(f"SQLite-only SQL cannot run on PostgreSQL ({word.strip()}): {sql}")
    out: list[str] = []
    n = 0
    quoted = False
    for ch in sql:
        if ch == "'":
            quoted = not quoted
        if ch == "?" and not quoted:
            n += 1
            out.append(f"${n}")
        else:
            out.append(ch)
    return _REAL_CAST.sub("AS DOUBLE PRECISION)", "".join(out))
