"""Simulated queues: other tenants' jobs arrive (Poisson) and are served FIFO.

Each device has a :class:`DeviceQueue` driven by its own seeded generator. Background
jobs arrive at rate ``arrival_rate_per_s`` (times the device's load factor) with
exponential service times of mean ``mean_service_s``; a submitted job waits until every
job that arrived before it has been served (Lindley recursion). All times are simulated
seconds; nothing sleeps. The same seed and the same submission sequence give the same
waits.

Example:
    >>> q = DeviceQueue("fake_manila", LoadModel(), seed=0)
    >>> start, wait = q.submit(100.0, service_s=1.0)
    >>> q2 = DeviceQueue("fake_manila", LoadModel(), seed=0)
    >>> q2.submit(100.0, service_s=1.0) == (start, wait)
    True
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from qmlsec.config import FrozenModel, rng


class LoadModel(FrozenModel):
    """Background load per device and co-tenancy density."""

    arrival_rate_per_s: float = Field(default=0.02, ge=0)
    mean_service_s: float = Field(default=20.0, gt=0)
    device_load: dict[str, float] = Field(default_factory=dict)
    co_tenancy: float = Field(default=1.0, ge=0, description="mean co-scheduled jobs per execution")
    co_job_qubits: int = Field(default=2, ge=1, description="qubits each co-scheduled job occupies")


class DeviceQueue:
    """FIFO queue of one device with seeded background arrivals."""

    def __init__(self, device: str, load: LoadModel, *, seed: int) -> None:
        self.device = device
        self.rate = load.arrival_rate_per_s * load.device_load.get(device, 1.0)
        self.mean_service_s = load.mean_service_s
        self._rng: np.random.Generator = rng(seed, "queue", device)
        self._now = 0.0
        self._busy_until = 0.0
        self._next_arrival = self._draw_gap()
        self.background_jobs = 0

    def _draw_gap(self) -> float:
        return float(self._rng.exponential(1.0 / self.rate)) if self.rate > 0 else float("inf")

    def advance(self, t: float) -> None:
        """Serve background arrivals up to simulated time ``t``."""
        while self._next_arrival <= t:
            service = float(self._rng.exponential(self.mean_service_s))
            self._busy_until = max(self._busy_until, self._next_arrival) + service
            self._next_arrival += self._draw_gap()
            self.background_jobs += 1
        self._now = max(self._now, t)

    def backlog(self, t: float) -> float:
        """Seconds of work ahead of a job submitted at ``t``."""
        self.advance(t)
        return max(0.0, self._busy_until - t)

    def submit(self, t: float, service_s: float) -> tuple[float, float]:
        """Enqueue a job at ``t``; returns (start time, waiting time)."""
        self.advance(t)
        start = max(t, self._busy_until)
        self._busy_until = start + service_s
        return start, start - t
