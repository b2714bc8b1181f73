"""Base class of the poisoning family: one verb, ``poison``.

A poisoning attacker can write the victim's training data before training (an untrusted
classical cloud that stores it, or the supply chain that delivers it). ``poison(x, y,
rate=...)`` returns the poisoned training set; :meth:`Attack.run` retrains the victim on
it through ``ctx.train_victim`` and measures the damage on held-out data.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from qmlsec.attacks.base import Attack, AttackContext
from qmlsec.attacks.targets import Capability, Position
from qmlsec.config import rng
from qmlsec.exceptions import RequirementError

Trainer = Callable[[np.ndarray, np.ndarray], Any]


def rate_key(name: str, rate: float) -> str:
    """Metric key for a value at one poison rate, e.g. ``accuracy@0.2``."""
    return f"{name}@{float(rate):g}"


class PoisoningAttack(Attack):
    """Corrupts training data so that the retrained victim misbehaves."""

    family: ClassVar[str] = "poisoning"
    requires: ClassVar[frozenset[Capability]] = frozenset({Capability.TRAINING_DATA_WRITE})
    positions: ClassVar[frozenset[Position]] = frozenset(
        {Position.UNTRUSTED_CLASSICAL_CLOUD, Position.SUPPLY_CHAIN}
    )

    @abstractmethod
    def poison(self, x: np.ndarray, y: np.ndarray, *, rate: float) -> tuple[np.ndarray, np.ndarray]:
        """Return the poisoned training set ``(x_p, y_p)`` for poison ``rate`` of ``(x, y)``."""

    def selection(self, n: int, rate: float, eligible: np.ndarray | None = None) -> np.ndarray:
        """Indices of the ``round(rate·n)`` samples to poison.

        One seeded permutation per attack seed, truncated, so the poisoned sets of
        increasing rates are nested and two attacks with the same seed poison the same
        samples (only *how* they poison differs).

        Args:
            n: training-set size.
            rate: fraction of ``n`` to poison.
            eligible: optional boolean mask of samples that may be chosen.
        """
        order = rng(self.seed, "poisoning", "select").permutation(n)
        if eligible is not None:
            order = order[np.asarray(eligible)[order]]
        return np.sort(order[: min(len(order), int(round(rate * n)))])

    def training_data(self, ctx: AttackContext) -> tuple[np.ndarray, np.ndarray]:
        """The victim's training split from ``ctx``, or a requirement error."""
        if ctx.x_train is None or ctx.y_train is None:
            raise RequirementError(
                f"attack {self.name!r} needs the victim's training data (ctx.x_train, ctx.y_train)",
                hint="build the context with the training split",
            )
        return np.array(ctx.x_train, dtype=np.float64), np.array(ctx.y_train)

    def trainer(self, ctx: AttackContext) -> Trainer:
        """How the victim is (re)trained: ``ctx.train_victim``, else a fresh copy of
        ``target.model`` (same ``get_params()``) fitted on the given data."""
        if ctx.train_victim is not None:
            return ctx.train_victim
        model = self.target.model
        if model is None or not hasattr(model, "get_params"):
            raise RequirementError(
                f"attack {self.name!r} needs a way to retrain the victim",
                hint="set ctx.train_victim, or give the target the victim model to clone",
            )

        def retrain(x: np.ndarray, y: np.ndarray) -> Any:
            return type(model)(**model.get_params()).fit(x, y)

        return retrain
