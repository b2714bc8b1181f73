"""Daily query budgets per API key: samples and shots, counted per sample, not request.

A reservation is taken before a batch runs, corrected to the shots actually spent, and
refunded if the batch is refused or fails. Decisions are made on exact in-memory
counters under one lock, so concurrent requests never overspend. Counter changes are
written to the database by a background flusher every ``flush_s`` seconds (and on
close); each flush also re-reads the rows, so replicas sharing a database converge on
the global counts. ``flush_s=0`` writes through on every change instead. A restart
keeps the counters; a crash loses at most ``flush_s`` seconds of them.

Example:
    >>> from qmlsec.service.budget import QueryBudget
    >>> from qmlsec.service.db import Database
    >>> budget = QueryBudget(Database("sqlite://"), daily_samples=10, daily_shots=0, flush_s=0)
    >>> res = budget.reserve("k", 4, 0)
    >>> budget.usage("k").samples
    4
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError

from qmlsec.service.db import Database
from qmlsec.service.limits import BudgetExceededError
from qmlsec.service.usage_store import Key, UsageStore

log = logging.getLogger(__name__)


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
    """Exact daily budgets with write-behind persistence (thread-safe)."""

    def __init__(
        self,
        db: Database,
        *,
        daily_samples: int,
        daily_shots: int,
        flush_s: float = 0.5,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = UsageStore(db)
        self.daily_samples, self.daily_shots = daily_samples, daily_shots
        self.flush_s, self.clock = flush_s, clock
        self._used: dict[Key, list[int]] = {}  # database value + changes not yet written
        self._pending: dict[Key, list[int]] = {}
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def today(self) -> str:
        """The current UTC day, ``YYYY-MM-DD``."""
        return dt.datetime.fromtimestamp(self.clock(), dt.UTC).date().isoformat()

    def reserve(self, key_id: str, samples: int, shots: int) -> Reservation:
        """Take ``samples`` and ``shots`` from today's budget and count one request."""
        key = (key_id, self.today())
        with self._lock:
            used = self._counts(key)
            if used[1] + samples > self.daily_samples:
                raise self._exceeded("sample", used[1], self.daily_samples, samples)
            if used[2] + shots > self.daily_shots:
                raise self._exceeded("shot", used[2], self.daily_shots, shots)
            self._add(key, [1, samples, shots, 0])
        self._after_change()
        return Reservation(key_id, key[1], samples, shots)

    def settle(self, res: Reservation, *, samples: int, shots: int) -> None:
        """Replace a reservation by what was actually spent (0, 0 refunds it)."""
        delta = [0, samples - res.samples, shots - res.shots, 0]
        if delta == [0, 0, 0, 0]:
            return
        with self._lock:
            self._counts((res.key_id, res.day))
            self._add((res.key_id, res.day), delta)
        self._after_change()

    def reject(self, key_id: str) -> None:
        """Count one refused request of ``key_id`` today."""
        key = (key_id, self.today())
        with self._lock:
            self._counts(key)
            self._add(key, [0, 0, 0, 1])
        self._after_change()

    def usage(self, key_id: str) -> Usage:
        """Today's counters of a key (zeros if it has not been used today)."""
        key = (key_id, self.today())
        with self._lock:
            return Usage(key[1], *self._counts(key))

    def flush(self) -> None:
        """Write pending changes, then refresh every cached counter from the database."""
        with self._flush_lock:
            with self._lock:
                pending, self._pending = self._pending, {}
                keys = set(pending) | set(self._used)
            if not keys:
                return
            try:
                if pending:
                    self.store.add(pending)
                rows = self.store.read(keys)
            except SQLAlchemyError:
                log.exception("usage flush failed; retrying later")
                with self._lock:
                    for key, delta in pending.items():
                        self._merge(self._pending, key, delta)
                return
            with self._lock:
                today = self.today()
                for key, row in rows.items():
                    newer = self._pending.get(key, [0, 0, 0, 0])
                    if key[1] != today and key not in self._pending:
                        self._used.pop(key, None)  # a past day: nothing will change it
                    else:
                        self._used[key] = [a + b for a, b in zip(row, newer, strict=True)]

    def close(self) -> None:
        """Stop the flusher and write everything."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.flush()

    def _counts(self, key: Key) -> list[int]:
        if key not in self._used:
            self._used[key] = self.store.read([key])[key]
        return self._used[key]

    def _add(self, key: Key, delta: list[int]) -> None:
        self._merge(self._used, key, delta)
        self._merge(self._pending, key, delta)

    @staticmethod
    def _merge(table: dict[Key, list[int]], key: Key, delta: list[int]) -> None:
        old = table.get(key, [0, 0, 0, 0])
        table[key] = [a + b for a, b in zip(old, delta, strict=True)]

    def _after_change(self) -> None:
        if self.flush_s <= 0:
            self.flush()
        elif self._thread is None and not self._stop.is_set():
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._run, name="qmlsec-usage-flush", daemon=True
                    )
                    self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.flush_s):
            self.flush()

    def _exceeded(self, what: str, used: int, limit: int, need: int) -> BudgetExceededError:
        now = dt.datetime.fromtimestamp(self.clock(), dt.UTC)
        midnight = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), dt.UTC)
        retry = max(1, math.ceil((midnight - now).total_seconds()))
        return BudgetExceededError(
            f"daily {what} budget exhausted: {used} of {limit} used, this request needs {need}",
            retry_after=retry,
            hint="the budget resets at 00:00 UTC; ask an admin for a larger budget",
        )
