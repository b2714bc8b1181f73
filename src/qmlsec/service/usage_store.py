"""Persistence of the per-key daily usage counters (the ``usage`` table).

Counters are only ever changed by increments in the database (``SET x = x + delta``),
inside a transaction the caller owns, so several writers (threads, processes, replicas
on one PostgreSQL database) never lose updates. A charge is a conditional increment:
it applies only if the new totals stay within the limits, decided by the database.

Example:
    >>> from qmlsec.service.db import Database
    >>> from qmlsec.service.usage_store import UsageStore
    >>> db = Database("sqlite://")
    >>> store = UsageStore(db)
    >>> with db.write() as conn:
    ...     store.charge(conn, ("k", "2024-01-01"), (5, 0), (10, 10))
    >>> store.read([("k", "2024-01-01")])
    {('k', '2024-01-01'): [1, 5, 0, 0]}
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import Connection, and_, or_, select, update
from sqlalchemy.dialects import postgresql as postgresql_dml
from sqlalchemy.dialects import sqlite as sqlite_dml
from sqlalchemy.exc import IntegrityError

from qmlsec.service.db import Database

FIELDS = ("requests", "samples", "shots", "rejected")
Key = tuple[str, str]  # (key_id, day)


class UsageStore:
    """Reads and increments usage rows."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def charge(
        self, conn: Connection, key: Key, amount: tuple[int, int], limits: tuple[int, int]
    ) -> tuple[int, int] | None:
        """Count one request and add ``(samples, shots)`` if both stay within ``limits``.

        Returns ``None`` when charged, else the ``(samples, shots)`` already used (and
        nothing is changed).
        """
        u = self.db.usage
        (samples, shots), (max_samples, max_shots) = amount, limits
        charge = (
            update(u)
            .where(u.c.key_id == key[0], u.c.day == key[1])
            .where(u.c.samples + samples <= max_samples, u.c.shots + shots <= max_shots)
            .values(
                requests=u.c.requests + 1, samples=u.c.samples + samples, shots=u.c.shots + shots
            )
        )
        if conn.execute(charge).rowcount == 1:
            return None
        row = conn.execute(
            select(u.c.samples, u.c.shots).where(u.c.key_id == key[0], u.c.day == key[1])
        ).first()
        if row is not None:
            return int(row.samples), int(row.shots)
        self._ensure(conn, key)
        return None if conn.execute(charge).rowcount == 1 else (0, 0)

    def add(self, conn: Connection, deltas: Mapping[Key, list[int]]) -> None:
        """Add each ``[requests, samples, shots, rejected]`` delta."""
        u = self.db.usage
        for key, delta in deltas.items():
            change = (
                update(u)
                .where(u.c.key_id == key[0], u.c.day == key[1])
                .values({f: u.c[f] + d for f, d in zip(FIELDS, delta, strict=True)})
            )
            if conn.execute(change).rowcount == 0:
                self._ensure(conn, key)
                conn.execute(change)

    def _ensure(self, conn: Connection, key: Key) -> None:
        """Create the zero row of ``key`` unless another writer already did."""
        row = {"key_id": key[0], "day": key[1], **dict.fromkeys(FIELDS, 0)}
        dialect = conn.dialect.name
        if dialect in ("sqlite", "postgresql"):
            module = sqlite_dml if dialect == "sqlite" else postgresql_dml
            conn.execute(module.insert(self.db.usage).values(row).on_conflict_do_nothing())
            return
        try:
            with conn.begin_nested():
                conn.execute(self.db.usage.insert().values(row))
        except IntegrityError:
            pass  # created meanwhile by another writer

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
