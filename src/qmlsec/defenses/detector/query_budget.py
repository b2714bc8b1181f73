"""Per-key query and shot budgets: a key that exceeds them is cut off.

Mitigation QML.M0005 (query and shot budgets). Each client key may send at most
``max_queries`` samples and spend at most ``max_shots`` shots per model; the batch that
crosses a limit raises an alert, and the endpoint then refuses or deceives (see
:class:`~qmlsec.defenses.endpoint.DefendedEndpoint`). It bounds the size of a
substitute's training set (QuantumLeak, arXiv:2403.10790, needs thousands of queries)
and what a client can bill to the victim.

Not covered: budgets per period (see the service's rate limits), sybil keys.

Example:
    >>> import numpy as np
    >>> budget = QueryBudget({"max_queries": 5})
    >>> budget.observe("k", "m", np.zeros((5, 2))) is None
    True
    >>> budget.observe("k", "m", np.zeros((1, 2))).detector
    'query_budget'
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from pydantic import Field

from qmlsec.cloud.endpoint import Alert
from qmlsec.config import FrozenModel
from qmlsec.defenses.detector.base import DetectorDefense


class QueryBudgetParams(FrozenModel):
    """Parameters of :class:`QueryBudget`."""

    max_queries: int = Field(50, ge=1)
    max_shots: int | None = Field(None, ge=1)
    shots_per_query: int = Field(0, ge=0)
    """Shots one sample costs (to account shots when the endpoint is exact: 0)."""


class QueryBudget(DetectorDefense):
    """Alert once a key has used up its query or shot budget."""

    name: ClassVar[str] = "detector.query_budget"
    mitigation_id: ClassVar[str] = "QML.M0005"
    counters: ClassVar[tuple[str, ...]] = (
        "extraction.substitute", "extraction.quantumleak", "inference.membership_threshold",
    )  # fmt: skip
    Params = QueryBudgetParams
    check_params: ClassVar[dict[str, Any]] = {"max_queries": 10}

    def reset(self) -> None:
        self.used_: dict[tuple[str, str], list[int]] = {}

    def observe(self, key_id: str, model_id: str, X: np.ndarray) -> Alert | None:
        if not hasattr(self, "used_"):
            self.reset()
        used = self.used_.setdefault((key_id, model_id), [0, 0])
        used[0] += len(X)
        used[1] += len(X) * self.params.shots_per_query
        p = self.params
        if used[0] > p.max_queries:
            return Alert("query_budget", key_id, model_id, float(used[0]), float(p.max_queries),
                         f"{used[0]} samples > budget {p.max_queries}")  # fmt: skip
        if p.max_shots is not None and used[1] > p.max_shots:
            return Alert("query_budget", key_id, model_id, float(used[1]), float(p.max_shots),
                         f"{used[1]} shots > budget {p.max_shots}")  # fmt: skip
        return None
