"""How an evasion attack observes the victim's decisions: a model in hand or queries.

White-box targets are asked directly (``model.predict``); black-box targets are queried
through their :class:`~qmlsec.attacks.queries.QueryCounter`, so every evaluation query
is counted with its shots.

Example:
    >>> import numpy as np
    >>> from qmlsec.attacks.targets import Target
    >>> class Always1:
    ...     classes_ = np.array([0, 1])
    ...     def predict(self, X):
    ...         return np.ones(len(X), dtype=int)
    >>> VictimOracle(Target.white_box(Always1())).labels(np.zeros((2, 3))).tolist()
    [1, 1]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from qmlsec.attacks.targets import Target
from qmlsec.exceptions import RequirementError


def endpoint_classes(endpoint: Any) -> np.ndarray:
    """The labels an endpoint's probability columns stand for (``0..C-1`` if unstated)."""
    for holder in (endpoint, getattr(endpoint, "endpoint", None)):
        for attr in ("classes", "classes_"):
            value = getattr(holder, attr, None)
            if value is not None:
                return np.asarray(value)
    return np.arange(int(endpoint.n_classes))


class VictimOracle:
    """Labels (and, where offered, probabilities) of the victim for raw inputs."""

    def __init__(self, target: Target) -> None:
        if target.endpoint is None and target.model is None:
            raise RequirementError(
                "the target offers neither a model nor an endpoint to observe the victim",
                hint="build it with Target.white_box(model) or Target.black_box(endpoint)",
            )
        self.target = target

    @property
    def queried(self) -> bool:
        """Whether decisions come from (counted) endpoint queries."""
        return self.target.endpoint is not None

    def classes(self) -> np.ndarray:
        if self.queried:
            return endpoint_classes(self.target.endpoint)
        return np.asarray(self.target.model.classes_)

    def labels(self, x: np.ndarray, *, seed: int | None = None) -> np.ndarray:
        """The victim's predicted labels for ``x``."""
        x = np.array(x, dtype=np.float64)
        if not self.queried:
            return np.asarray(self.target.model.predict(x))
        endpoint = self.target.endpoint
        values = np.asarray(endpoint.query(x, seed=seed))
        if getattr(endpoint, "output", "probabilities") == "labels":
            return values
        return self.classes()[values.argmax(axis=1)]

    def probabilities(self, x: np.ndarray, *, seed: int | None = None) -> np.ndarray:
        """The victim's class probabilities for ``x`` (``(n, C)``)."""
        x = np.array(x, dtype=np.float64)
        if not self.queried:
            return np.asarray(self.target.model.predict_proba(x))
        endpoint = self.target.endpoint
        if getattr(endpoint, "output", "probabilities") != "probabilities":
            raise RequirementError(
                "the endpoint does not return probabilities",
                hint="query it with output='probabilities'",
            )
        return np.asarray(endpoint.query(x, seed=seed), dtype=np.float64)
