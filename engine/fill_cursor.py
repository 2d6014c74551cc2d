"""Where a reader of the history's fills stands, so each fill another process writes is booked once.

Fills are read in write order (SQLite's rowid, PostgreSQL's `seq`). On PostgreSQL a transaction can
commit after a later-numbered one, so each read goes back `REREAD` numbers and skips the fills it
has already seen; the keys kept are bounded to that window.
"""

from __future__ import annotations

from dataclasses import dataclass, field

REREAD = 400  # write numbers read again each time: larger than a few writers' batches in flight


@dataclass(slots=True)
class FillCursor:
    seq: int = 0  # the highest write number seen
    recent: dict[tuple[str, str], int] = field(default_factory=dict)  # (venue, fill_id) -> seq

    def saw(self, venue: str, fill_id: str, seq: int) -> bool:
        """Remember a fill; False when it was seen already (a re-read of the window)."""
        key = (venue, fill_id)
        if key in self.recent:
            return False
        self.seq = max(self.seq, seq)
        if seq > self.seq - REREAD:
            self.recent[key] = seq
        return True

    @property
    def read_from(self) -> int:
        """The write number the next read starts after."""
        return max(0, self.seq - REREAD)

    def prune(self) -> None:
        """Forget keys too old to be read again."""
        low = self.read_from
        self.recent = {k: s for k, s in self.recent.items() if s > low}
