"""Persistence of the per-key daily usage counters (the ``usage`` table).

Counters are only ever *incremented* in the database (``SET x = x + delta``), so several
writers (threads, processes, replicas on one PostgreSQL database) never lose updates.

Example:
    >>> from qmlsec.service.db import Database
    >>> from qmlsec.service.usage_store import UsageStore
    >>> store = UsageStore(Database("sqlite://"))
    >>> store.add({("k", "2024-01-01"): [1, 5, 0, 0]})
    >>> store.read([("k", "2024-01-01")])
    {('k', '2024-01-01'): [1, 5, 0, 0]}
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError

from qmlsec.service.db import Database

FIELDS = ("requests", "samples", "shots", "rejected")
Key = tuple[str, str]  # (key_id, day)


class UsageStore:
    """Reads and increments usage rows."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def add(self, deltas: Mapping[Key, list[int]]) -> None:
        """Add each ``[requests, samples, shots, rejected]`` delta, in one transaction."""
        u = self.db.usage
        for attempt in range(3):
            try:
                with self.db.engine.begin() as conn:
                    for (key_id, day), delta in deltas.items():
                        done = conn.execute(
                            update(u)
                            .where(u.c.key_id == key_id, u.c.day == day)
                            .values({f: u.c[f] + d for f, d in zip(FIELDS, delta, strict=True)})
                        )
                        if done.rowcount == 0:
                            conn.execute(
                                u.insert().values(
                                    key_id=key_id, day=day, **dict(zip(FIELDS, delta, strict=True))
                                )
                            )
                return
            except IntegrityError:  # another writer created a row first: redo as updates
                if attempt == 2:
                    raise

    def read(self, keys: Iterable[Key]) -> dict[Key, list[int]]:
        """Current counters of each key (zeros for rows that do not exist)."""
        wanted = list(keys)
        out: dict[Key, list[int]] = {k: [0, 0, 0, 0] for k in wanted}
        if not wanted:
            return out
        u = self.db.usage
        cond = or_(*(and_(u.c.key_id == k, u.c.day == d) for k, d in wanted))
        with self.db.engine.connect() as conn:
            for row in conn.execute(select(u).where(cond)):
                out[(row.key_id, row.day)] = [int(getattr(row, f)) for f in FIELDS]
        return out
