"""Per-key request rate and concurrency limits (in memory) and the refusal errors.

At most ``per_minute`` requests of one key are admitted in any 60-second window, and at
most ``per_key`` of its requests are served at the same time. The daily sample and shot
budgets live in :mod:`qmlsec.service.budget`.

Example:
    >>> from qmlsec.service.limits import RateLimiter
    >>> limiter = RateLimiter(per_minute=2, clock=lambda: 0.0)
    >>> [limiter.hit("k").remaining for _ in range(2)]
    [1, 0]
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from qmlsec.exceptions import RateLimitError

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


class ConcurrencyExceededError(RateExceededError):
    """One key already has as many requests in flight as it may."""

    reason = "concurrency"


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


class ConcurrencyLimiter:
    """At most ``per_key`` requests in flight per key id (thread-safe).

    Example:
        >>> limiter = ConcurrencyLimiter(per_key=1)
        >>> limiter.acquire("k")
        >>> limiter.in_flight("k")
        1
        >>> limiter.release("k")
        >>> limiter.in_flight("k")
        0
    """

    def __init__(self, per_key: int) -> None:
        self.per_key = per_key
        self._active: dict[str, int] = {}
        self._lock = threading.Lock()

    def acquire(self, key_id: str) -> None:
        """Take a slot of ``key_id`` or raise :class:`ConcurrencyExceededError`."""
        with self._lock:
            active = self._active.get(key_id, 0)
            if active >= self.per_key:
                raise ConcurrencyExceededError(
                    f"{active} requests of this key are already in flight (limit {self.per_key})",
                    retry_after=1,
                    hint="wait for answers before sending more, or submit a job (POST /v1/jobs)",
                )
            self._active[key_id] = active + 1

    def release(self, key_id: str) -> None:
        """Give back a slot taken by :meth:`acquire`."""
        with self._lock:
            left = self._active.get(key_id, 0) - 1
            if left > 0:
                self._active[key_id] = left
            else:
                self._active.pop(key_id, None)

    def in_flight(self, key_id: str) -> int:
        """Requests of ``key_id`` being served now."""
        with self._lock:
            return self._active.get(key_id, 0)
