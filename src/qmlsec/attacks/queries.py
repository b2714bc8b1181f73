"""Query accounting for black-box targets: every query counted, with its shots."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from qmlsec.exceptions import RateLimitError


@dataclass
class QueryStats:
    """Totals spent against one endpoint."""

    calls: int = 0
    samples: int = 0
    shots: int = 0
    circuits: int = 0

    def to_dict(self) -> dict[str, int]:
        return {
            "calls": self.calls,
            "samples": self.samples,
            "shots": self.shots,
            "circuits": self.circuits,
        }


class QueryCounter:
    """Wraps an endpoint, counts what is sent through it and enforces a sample budget.

    The wrapped endpoint follows the ``Endpoint`` contract (``query(X, output=, shots=,
    seed=)`` returning an object with ``values``, ``shots`` and ``circuits``).

    Example:
        >>> import numpy as np
        >>> class Echo:
        ...     n_features, n_classes = 2, 2
        ...     def query(self, X, *, output="probabilities", shots=None, seed=None):
        ...         from types import SimpleNamespace
        ...         p = np.full((len(X), 2), 0.5)
        ...         return SimpleNamespace(values=p, shots=(shots or 0) * len(X), circuits=len(X))
        >>> counter = QueryCounter(Echo(), output="probabilities", budget=10)
        >>> counter.query(np.zeros((4, 2))).shape
        (4, 2)
        >>> counter.stats.samples
        4
    """

    def __init__(
        self,
        endpoint: Any,
        *,
        output: str = "probabilities",
        shots: int | None = None,
        budget: int | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.output = output
        self.shots = shots
        self.budget = budget
        self.stats = QueryStats()

    @property
    def n_features(self) -> int:
        return int(self.endpoint.n_features)

    @property
    def n_classes(self) -> int:
        return int(self.endpoint.n_classes)

    @property
    def remaining(self) -> int | None:
        return None if self.budget is None else self.budget - self.stats.samples

    def query(self, X: np.ndarray, *, seed: int | None = None) -> np.ndarray:
        """Send ``X`` and return the endpoint's values (labels or probabilities)."""
        X = np.asarray(X, dtype=np.float64)
        if self.budget is not None and self.stats.samples + len(X) > self.budget:
            raise RateLimitError(
                f"query budget of {self.budget} samples exhausted "
                f"({self.stats.samples} used, {len(X)} requested)",
                hint="raise the attack's query budget or send fewer samples",
            )
        response = self.endpoint.query(X, output=self.output, shots=self.shots, seed=seed)
        self.stats.calls += 1
        self.stats.samples += len(X)
        self.stats.shots += int(response.shots)
        self.stats.circuits += int(response.circuits)
        return np.asarray(response.values)
