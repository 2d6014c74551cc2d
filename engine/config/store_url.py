"""Where the history lives: `sqlite:///path` (default) or `postgresql://user@host:port/db`.

The password never comes from a file: it is passed in (from the environment variable the
configuration names) and every string shown to a person is the URL with the password masked.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from platformdirs import user_data_dir

MASK = "****"
PG_SCHEMES = ("postgresql", "postgres")


class StoreUrlError(ValueError):
    """A store URL that cannot be used; the message names the URL with its password masked."""


@dataclass(frozen=True, slots=True)
class StoreTarget:
    """A parsed store URL: a SQLite file, or a PostgreSQL database (password kept apart)."""

    kind: str  # "sqlite" | "postgresql"
    path: Path | None = None
    host: str = ""
    port: int = 5432
    user: str = ""
    database: str = ""
    params: str = ""
    password: str | None = field(default=None, repr=False)

    @property
    def is_postgres(self) -> bool:
        return self.kind == "postgresql"

    def masked(self) -> str:
        """The URL as it may be shown: the password, if any, replaced by ****."""
        if not self.is_postgres:
            return f"sqlite:///{self.path}"
        auth = self.user + (f":{MASK}" if self.password else "")
        query = f"?{self.params}" if self.params else ""
        return f"postgresql://{auth}{'@' if auth else ''}{self.host}:{self.port}/{self.database}{query}"

    def dsn(self) -> str:
        """The URL without its password (the driver gets the password separately)."""
        auth = f"{self.user}@" if self.user else ""
        query = f"?{self.params}" if self.params else ""
        return f"postgresql://{auth}{self.host}:{self.port}/{self.database}{query}"

    def local_anchor(self) -> Path:
        """A local path for files that go with this history: the event log and unwritten rows."""
        if self.path is not None:
            return self.path
        tag = hashlib.sha256(self.dsn().encode()).hexdigest()[:8]
        return (
            Path(user_data_dir("tranche")) / f"pg-{self.host}-{self.port}-{self.database}-{tag}.db"
        )

    def __str__(self) -> str:
        return self.masked()


def is_url(text: str) -> bool:
    return text.startswith(("sqlite:", *(f"{s}:" for s in PG_SCHEMES)))


def mask_url(text: str) -> str:
    """Any store URL or path, safe to print: a SQLite file as its path, a server's URL with the
    password masked (an unparsable one is cut at its '@')."""
    try:
        target = parse_store_url(text)
        return str(target.path) if target.path is not None else target.masked()
    except StoreUrlError:
        return text.split("@")[-1] if "@" in text else text


def parse_store_url(text: str | Path, *, password: str | None = None) -> StoreTarget:
    """`sqlite:///rel/path`, `sqlite:////abs/path` (SQLAlchemy's convention), a plain path, or
    `postgresql://user[:pw]@host[:port]/db[?options]`. `password` wins over one in the URL."""
    if isinstance(text, Path) or not is_url(text):
        return StoreTarget("sqlite", path=Path(text).expanduser())
    if text.startswith("sqlite:"):
        rest = text.removeprefix("sqlite:")
        if not rest.startswith("///") or len(rest) == 3:
            raise StoreUrlError(f"{text}: expected sqlite:///PATH (relative) or sqlite:////PATH")
        return StoreTarget("sqlite", path=Path(rest[3:]).expanduser())
    parts = urlsplit(text)
    shown = text.replace(f":{parts.password}@", f":{MASK}@") if parts.password else text
    try:
        port = parts.port or 5432
    except ValueError:
        raise StoreUrlError(f"{shown}: the port is not a number") from None
    database = parts.path.lstrip("/")
    if not parts.hostname or not database:
        raise StoreUrlError(f"{shown}: expected postgresql://USER@HOST[:PORT]/DATABASE")
    pw = password if password else (unquote(parts.password) if parts.password else None)
    return StoreTarget(
        "postgresql",
        host=parts.hostname,
        port=port,
        user=unquote(parts.username or ""),
        database=unquote(database),
        params=parts.query,
        password=pw,
    )


def has_password(text: str) -> bool:
    """True when a postgresql URL carries its password inline (refused in configuration files)."""
    return is_url(text) and not text.startswith("sqlite:") and urlsplit(text).password is not None
