"""Per-key request rate limits (in memory) and daily query budgets (in the database).

The rate limit is a sliding-window log: at most ``per_minute`` requests of one key in
any 60-second window. Budgets count *samples* and *shots* per key per UTC day, not
requests, so batching does not evade them; a reservation is taken atomically before a
batch runs (one conditional ``UPDATE``), corrected to the shots actually spent, and
refunded if the batch is refused or fails. Budget counters survive restarts.

Example:
    >>> from qmlsec.service.limits import RateLimiter
    >>> limiter = RateLimiter(per_minute=2, clock=lambda: 0.0)
    >>> [limiter.hit("k").remaining for _ in range(2)]
    [1, 0]
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from qmlsec.exceptions import RateLimitError
from qmlsec.service.db import Database

WINDOW_S = 60.0


class RateExceededError(RateLimitError):
    """The per-key request rate limit is exhausted."""

    reason = "rate"

    def __init__(self, message: str, *, retry_after: int, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.retry_after = retry_after


class BudgetExceededError(RateExceededError):
    """The per-key daily sample or shot budget is exhausted."""

    reason = "budget"


@dataclass(frozen=True)
class RateState:
    """The limiter's answer to one request."""

    limit: int
    remaining: int
    reset_s: int


class RateLimiter:
    """Sliding-window request limiter keyed on the API key id (thread-safe)."""

    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key_id: str) -> RateState:
        """Count one request or raise :class:`RateExceededError`."""
        now = self.clock()
        with self._lock:
            hits = self._hits.setdefault(key_id, deque())
            while hits and hits[0] <= now - WINDOW_S:
                hits.popleft()
            if len(hits) >= self.per_minute:
                retry = max(1, math.ceil(hits[0] + WINDOW_S - now))
                raise RateExceededError(
                    f"rate limit of {self.per_minute} requests per minute exceeded",
                    retry_after=retry,
                    hint=f"retry in {retry} s or batch samples into fewer requests",
                )
            hits.append(now)
            reset = math.ceil(hits[0] + WINDOW_S - now)
            return RateState(self.per_minute, self.per_minute - len(hits), reset)


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
    """Daily sample and shot budgets per key, persisted in the ``usage`` table."""

    def __init__(
        self,
        db: Database,
        *,
        daily_samples: int,
        daily_shots: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.daily_samples = daily_samples
        self.daily_shots = daily_shots
        self.clock = clock

    def today(self) -> str:
        """The current UTC day, ``YYYY-MM-DD``."""
        return dt.datetime.fromtimestamp(self.clock(), dt.UTC).date().isoformat()

    def reserve(self, key_id: str, samples: int, shots: int) -> Reservation:
        """Take ``samples`` and ``shots`` from today's budget and count one request."""
        day, u = self.today(), self.db.usage
        where = (u.c.key_id == key_id, u.c.day == day)
        for _ in range(3):
            try:
                with self.db.engine.begin() as conn:
                    done = conn.execute(
                        update(u)
                        .where(*where)
                        .where(u.c.samples + samples <= self.daily_samples)
                        .where(u.c.shots + shots <= self.daily_shots)
                        .values(
                            requests=u.c.requests + 1,
                            samples=u.c.samples + samples,
                            shots=u.c.shots + shots,
                        )
                    )
                    if done.rowcount == 1:
                        return Reservation(key_id, day, samples, shots)
                    row = conn.execute(select(u.c.samples, u.c.shots).where(*where)).first()
                    used = (0, 0) if row is None else (row.samples, row.shots)
                    self._check(used, samples, shots)
                    conn.execute(
                        u.insert().values(
                            key_id=key_id,
                            day=day,
                            requests=1,
                            samples=samples,
                            shots=shots,
                            rejected=0,
                        )
                    )
                    return Reservation(key_id, day, samples, shots)
            except IntegrityError:  # a concurrent request created today's row first
                continue
        raise RuntimeError("usage row could not be created")  # pragma: no cover

    def settle(self, res: Reservation, *, samples: int, shots: int) -> None:
        """Replace a reservation by what was actually spent (0, 0 refunds it)."""
        d_samples, d_shots = samples - res.samples, shots - res.shots
        if d_samples == 0 and d_shots == 0:
            return
        u = self.db.usage
        with self.db.engine.begin() as conn:
            conn.execute(
                update(u)
                .where(u.c.key_id == res.key_id, u.c.day == res.day)
                .values(samples=u.c.samples + d_samples, shots=u.c.shots + d_shots)
            )

    def reject(self, key_id: str) -> None:
        """Count one refused request of ``key_id`` today."""
        day, u = self.today(), self.db.usage
        with self.db.engine.begin() as conn:
            done = conn.execute(
                update(u)
                .where(u.c.key_id == key_id, u.c.day == day)
                .values(rejected=u.c.rejected + 1)
            )
            if done.rowcount == 0:
                conn.execute(
                    u.insert().values(
                        key_id=key_id, day=day, requests=0, samples=0, shots=0, rejected=1
                    )
                )

    def usage(self, key_id: str) -> Usage:
        """Today's counters of a key (zeros if it has not been used today)."""
        day, u = self.today(), self.db.usage
        with self.db.engine.connect() as conn:
            row = conn.execute(select(u).where(u.c.key_id == key_id, u.c.day == day)).first()
        if row is None:
            return Usage(day, 0, 0, 0, 0)
        return Usage(day, row.requests, row.samples, row.shots, row.rejected)

    def _check(self, used: tuple[int, int], samples: int, shots: int) -> None:
        retry = self._seconds_to_midnight()
        if used[0] + samples > self.daily_samples:
            raise BudgetExceededError(
                f"daily sample budget exhausted: {used[0]} of {self.daily_samples} used, "
                f"this request needs {samples}",
                retry_after=retry,
                hint="the budget resets at 00:00 UTC; ask an admin for a larger budget",
            )
        if used[1] + shots > self.daily_shots:
            raise BudgetExceededError(
                f"daily shot budget exhausted: {used[1]} of {self.daily_shots} used, "
                f"this request needs {shots}",
                retry_after=retry,
                hint="use fewer shots, or wait for the reset at 00:00 UTC",
            )

    def _seconds_to_midnight(self) -> int:
        now = dt.datetime.fromtimestamp(self.clock(), dt.UTC)
        tomorrow = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), dt.UTC)
        return max(1, math.ceil((tomorrow - now).total_seconds()))
