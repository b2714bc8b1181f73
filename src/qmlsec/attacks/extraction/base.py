"""Base class of the extraction family: the shared harness behind each attack's ``_run``.

The harness takes the attacker's query pool (:mod:`qmlsec.attacks.pools`: the training
inputs, half the test split, another dataset, a file or synthetic inputs; the ``pool``
parameter of every extraction attack) and the evaluation set, turns
endpoint answers into target probability rows, and scores a stolen model against the
victim. Queries go through the target's :class:`~qmlsec.attacks.queries.QueryCounter`
and are counted; the victim's labels on the evaluation set come from the experimenter's
uncounted oracle (the white-box model when the target holds one, else the endpoint
behind the counter).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from qmlsec.attacks.base import Attack, AttackContext
from qmlsec.attacks.extraction.substitute_fit import one_hot
from qmlsec.attacks.metrics import agreement
from qmlsec.attacks.pools import PoolSource, attacker_pool
from qmlsec.config import rng
from qmlsec.exceptions import ConfigError, RequirementError

__all__ = ["ExtractionAttack", "PoolSource"]


class ExtractionAttack(Attack):
    """Steals a functional copy of the victim through its outputs."""

    family: ClassVar[str] = "extraction"

    # -- harness -----------------------------------------------------------------------
    @property
    def endpoint(self) -> Any:
        """The counted endpoint the attacker queries."""
        if self.target.endpoint is None:
            raise RequirementError(
                f"attack {self.name!r} needs a query endpoint",
                hint="use Target.black_box(QueryCounter(endpoint, output=..., budget=...))",
            )
        return self.target.endpoint

    def n_classes(self, ctx: AttackContext) -> int:
        """Classes the victim answers with (from the endpoint, else the labels seen)."""
        inner = getattr(self.endpoint, "endpoint", self.endpoint)
        if hasattr(inner, "n_classes"):
            return int(inner.n_classes)
        return int(np.max(ctx.y_test)) + 1

    def query_pool(
        self, ctx: AttackContext, source: str
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
        """Unlabelled query pool and the labelled evaluation set.

        ``source`` names the pool (:mod:`qmlsec.attacks.pools`): ``train`` uses
        ``ctx.x_train`` (inputs only) and evaluates on the whole test split; ``test``
        uses a seeded half of the test split as the pool and evaluates on the other half;
        ``auto`` picks ``train`` when the training split is known; ``dataset:NAME[:CLASSES]``,
        ``file:PATH``, ``uniform[:N]`` and ``gaussian[:N]`` are the attacker's own data
        (held out, out of distribution or synthetic), evaluated on the whole test split.

        Returns:
            ``(x_pool, x_eval, y_eval, source_used)``.
        """
        pool = attacker_pool(source, ctx.x_train, ctx.x_test, ctx.y_test, seed=self.seed)
        return pool.x, pool.x_eval, pool.y_eval, pool.source

    def budgeted(self, x_pool: np.ndarray, queries: int) -> np.ndarray:
        """A seeded draw of at most ``queries`` pool inputs that the budget allows."""
        remaining = getattr(self.endpoint, "remaining", None)
        n = min(queries, len(x_pool), remaining if remaining is not None else queries)
        if n < 2:
            raise ConfigError(
                f"only {n} queries possible (pool {len(x_pool)}, budget left {remaining})",
                hint="raise the query budget or provide more unlabelled data",
            )
        idx = rng(self.seed, "extraction", "draw").choice(len(x_pool), n, replace=False)
        return x_pool[np.sort(idx)]

    def ask(self, x: np.ndarray, n_classes: int, *, seed: int) -> np.ndarray:
        """Query ``x`` and return target probability rows (one-hot for labels)."""
        output = getattr(self.endpoint, "output", "probabilities")
        values = np.asarray(self.endpoint.query(x, seed=seed))
        if output == "labels":
            return one_hot(values, n_classes)
        if output == "probabilities":
            return values.astype(np.float64)
        raise ConfigError(
            f"extraction needs labels or probabilities, the endpoint answers {output!r}",
            hint="wrap the endpoint in QueryCounter(endpoint, output='probabilities')",
        )

    def victim_labels(self, x: np.ndarray) -> np.ndarray:
        """The victim's labels on ``x`` from the uncounted evaluation oracle."""
        if self.target.model is not None:
            model = self.target.model
            return np.asarray(model.class_index(model.predict(x)))
        inner = getattr(self.endpoint, "endpoint", self.endpoint)
        return np.asarray(inner.query(x, output="labels", shots=None, seed=None).values)

    def score(
        self, model: Any, x_eval: np.ndarray, y_eval: np.ndarray, victim: np.ndarray, prefix: str
    ) -> tuple[dict[str, float], list[int]]:
        """Accuracy and agreement of ``model`` on the evaluation set, plus its labels."""
        pred = np.asarray(model.predict(x_eval))
        metrics = {
            f"{prefix}_accuracy": float(np.mean(pred == y_eval)),
            f"{prefix}_agreement": agreement(pred, victim),
        }
        return metrics, pred.tolist()

    def spent(self) -> dict[str, int]:
        """Queries (samples), shots and circuits spent so far."""
        stats = getattr(self.endpoint, "stats", None)
        if stats is None:
            return {}
        return {"queries_used": stats.samples, "shots_used": stats.shots, "calls": stats.calls}
