"""The one error the store raises: it names the file or the URL (password masked) and what to do."""

from __future__ import annotations


class StoreError(RuntimeError):
    """Rows could not be written (they are kept and retried), or the history cannot be opened."""
