"""Daily query budgets per API key: samples and shots, counted per sample, not request.

A charge is one conditional increment in the database (``SET samples = samples + n ...
WHERE samples + n <= limit``), made in the transaction that accepts the work: on its
own for a synchronous prediction, together with the job row for an asynchronous job.
Decisions are therefore exact across threads, processes and replicas sharing a
database, and a crash at any point loses no charge: a charge is either committed with
the work it pays for or not made at all. It is later corrected to the shots actually
spent, or refunded if the work is refused or fails; a refund only ever returns a charge
that was committed (see :mod:`qmlsec.service.jobs` for jobs a crash interrupted).

Example:
    >>> from qmlsec.service.budget import QueryBudget
    >>> from qmlsec.service.db import Database
    >>> budget = QueryBudget(Database("sqlite://"), daily_samples=10, daily_shots=0)
    >>> res = budget.reserve("k", 4, 0)
    >>> budget.usage("k").samples
    4
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection

from qmlsec.service.db import Database
from qmlsec.service.limits import BudgetExceededError
from qmlsec.service.usage_store import UsageStore


@dataclass(frozen=True)
class Reservation:
    """Samples and shots taken from a key's budget on one day."""

    key_id: str
    day: str
    samples: int
    shots: int


@dataclass(frozen=True)
class Usage:
    """A key's counters for one day."""

    day: str
    requests: int
    samples: int
    shots: int
    rejected: int


class QueryBudget:
    """Exact daily budgets kept in the service database (thread- and process-safe).

    Args:
        db: The service database.
        daily_samples: Samples per key per UTC day.
        daily_shots: Shots per key per UTC day.
        clock: POSIX time (tests move it across midnight).
    """

    def __init__(
        self,
        db: Database,
        *,
        daily_samples: int,
        daily_shots: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.store = UsageStore(db)
        self.daily_samples, self.daily_shots = daily_samples, daily_shots
        self.clock = clock

    def today(self) -> str:
        """The current UTC day, ``YYYY-MM-DD``."""
        return dt.datetime.fromtimestamp(self.clock(), dt.UTC).date().isoformat()

    def reserve(
        self, key_id: str, samples: int, shots: int, *, conn: Connection | None = None
    ) -> Reservation:
        """Charge ``samples`` and ``shots`` to today's budget and count one request.

        Args:
            key_id: The paying key.
            samples: Samples of the work.
            shots: Shots the work may spend.
            conn: The transaction accepting the work; ``None`` commits the charge alone.

        Raises:
            BudgetExceededError: The charge would exceed a daily limit (nothing charged).
        """
        day = self.today()
        limits = (self.daily_samples, self.daily_shots)
        if conn is None:
            with self.db.write() as own:
                refused = self.store.charge(own, (key_id, day), (samples, shots), limits)
        else:
            refused = self.store.charge(conn, (key_id, day), (samples, shots), limits)
        if refused is not None:
            used_samples, used_shots = refused
            if used_samples + samples > self.daily_samples:
                raise self._exceeded("sample", used_samples, self.daily_samples, samples)
            raise self._exceeded("shot", used_shots, self.daily_shots, shots)
        return Reservation(key_id, day, samples, shots)

    def settle(
        self, res: Reservation, *, samples: int, shots: int, conn: Connection | None = None
    ) -> None:
        """Replace a committed charge by what was actually spent (0, 0 refunds it)."""
        delta = [0, samples - res.samples, shots - res.shots, 0]
        if delta == [0, 0, 0, 0]:
            return
        if conn is None:
            with self.db.write() as own:
                self.store.add(own, {(res.key_id, res.day): delta})
        else:
            self.store.add(conn, {(res.key_id, res.day): delta})

    def undo(self, res: Reservation, conn: Connection) -> None:
        """Take back a charge (its request count too) inside the transaction that made it."""
        self.store.add(conn, {(res.key_id, res.day): [-1, -res.samples, -res.shots, 0]})

    def reject(self, key_id: str) -> None:
        """Count one refused request of ``key_id`` today."""
        with self.db.write() as conn:
            self.store.add(conn, {(key_id, self.today()): [0, 0, 0, 1]})

    def usage(self, key_id: str) -> Usage:
        """Today's counters of a key (zeros if it has not been used today)."""
        key = (key_id, self.today())
        return Usage(key[1], *self.store.read([key])[key])

    def close(self) -> None:
        """Nothing to write: every change is committed when it is made."""

    def _exceeded(self, what: str, used: int, limit: int, need: int) -> BudgetExceededError:
        now = dt.datetime.fromtimestamp(self.clock(), dt.UTC)
        midnight = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), dt.UTC)
        retry = max(1, math.ceil((midnight - now).total_seconds()))
        return BudgetExceededError(
            f"daily {what} budget exhausted: {used} of {limit} used, this request needs {need}",
            retry_after=retry,
            hint="the budget resets at 00:00 UTC; ask an admin for a larger budget",
        )
