"""Group commit: write units that arrive together share one database transaction.

Each admitted prediction charges the budget in a write transaction; under load most of
the cost of such a tiny transaction is the transaction itself (pool checkout, BEGIN,
COMMIT, the write lock). :class:`GroupCommit` runs every unit waiting when a
transaction starts inside that one transaction and commits once. A unit must leave the
database as it found it when it raises (the charge of :meth:`QueryBudget.reserve` is a
single conditional statement, and a refused admission undoes its own charge), so one
unit's refusal never rolls back another's work. If the transaction itself fails, every
unit of the group fails with that error and nothing of the group is committed.

Example:
    >>> from concurrent.futures import ThreadPoolExecutor
    >>> from sqlalchemy import text
    >>> from qmlsec.service.db import Database
    >>> db = Database("sqlite://")
    >>> with ThreadPoolExecutor(1) as pool:
    ...     group = GroupCommit(db, pool)
    ...     group.submit(lambda conn: conn.execute(text("SELECT 41 + 1")).scalar()).result()
    42
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

from sqlalchemy import Connection

from qmlsec.exceptions import QmlsecError
from qmlsec.service.db import Database

Unit = Callable[[Connection], Any]


class GroupCommit:
    """Runs submitted write units in shared transactions on ``pool``.

    Args:
        db: The service database.
        pool: Where the transactions run (one group at a time).
        max_units: Most units in one transaction.
    """

    def __init__(self, db: Database, pool: Executor, *, max_units: int = 256) -> None:
        self.db, self.pool, self.max_units = db, pool, max_units
        self._queue: list[tuple[Unit, Future[Any]]] = []
        self._draining = False
        self._lock = threading.Lock()

    def submit(self, unit: Unit) -> Future[Any]:
        """Queue ``unit``; its future holds what it returned or raised, once committed."""
        future: Future[Any] = Future()
        with self._lock:
            self._queue.append((unit, future))
            if self._draining:
                return future
            self._draining = True
        self.pool.submit(self._drain)
        return future

    def _drain(self) -> None:
        while True:
            with self._lock:
                group = self._queue[: self.max_units]
                del self._queue[: self.max_units]
                if not group:
                    self._draining = False
                    return
            self._commit(group)

    def _commit(self, group: list[tuple[Unit, Future[Any]]]) -> None:
        live = [(unit, f) for unit, f in group if f.set_running_or_notify_cancel()]
        outcomes: list[tuple[Future[Any], bool, Any]] = []
        try:
            with self.db.write() as conn:
                for unit, future in live:
                    try:
                        outcomes.append((future, True, unit(conn)))
                    except QmlsecError as err:  # a refusal: the unit left nothing behind
                        outcomes.append((future, False, err))
        except BaseException as err:  # the transaction failed: nothing was committed
            for _, future in live:
                future.set_exception(err)
            return
        for future, ok, value in outcomes:
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)
