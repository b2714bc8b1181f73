"""Base of the trainer defenses: one verb, ``fit(X, y) -> model``.

A trainer defense replaces how the victim is trained. Protecting an attack's setup
means: the deployed model is the one the defense trains on the context's training split,
and any retraining the attack triggers (poisoning) goes through the defense too. Its
cost is the clean accuracy lost and the training-time multiplier.
"""

from __future__ import annotations

import time
from abc import abstractmethod
from typing import Any, ClassVar

import numpy as np

from qmlsec.attacks.setup import AttackSetup
from qmlsec.defenses.base import Defense, DefenseCost
from qmlsec.exceptions import ConfigError
from qmlsec.models.classifier import QNNClassifier
from qmlsec.models.imported import classifier_from_params


def training_seconds(model: Any) -> float:
    """Wall time of ``model``'s training from its history (0 if unknown)."""
    return float(sum(row.get("seconds", 0.0) for row in getattr(model, "history_", []) or []))


DEFAULT_RECIPE: dict[str, Any] = {"n_qubits": 4, "layers": 2, "epochs": 15, "lr": 0.1}
"""The classifier recipe used when the defense was not pointed at a model."""


class TrainerDefense(Defense):
    """Trains the victim in a hardened way.

    The classifier recipe (``QNNClassifier`` parameters) is the deployed model's when
    :meth:`for_model` was called (``protect`` does), else :data:`DEFAULT_RECIPE`.
    """

    role: ClassVar[str] = "trainer"  # type: ignore[assignment]
    recipe: dict[str, Any] = DEFAULT_RECIPE

    def for_model(self, model: Any) -> TrainerDefense:
        """Train with ``model``'s recipe (its ``get_params()``); returns ``self``."""
        self.recipe = dict(model.get_params())
        return self

    def classifier(self, **overrides: Any) -> QNNClassifier:
        """An unfitted classifier of the recipe, seeded from the defense's seed."""
        params = {**self.recipe, **overrides}
        params.setdefault("random_state", self.seed)
        return classifier_from_params(**params)

    @abstractmethod
    def fit(self, X: np.ndarray, y: np.ndarray) -> Any:
        """Train and return a fitted classifier on raw ``X`` and labels ``y``."""

    def protect(self, setup: AttackSetup) -> tuple[AttackSetup, DefenseCost]:
        ctx = setup.ctx
        if ctx.x_train is None or ctx.y_train is None:
            raise ConfigError(f"defense {self.name!r} needs the training split in the context",
                              hint="build the setup with AttackSetup.from_deployment")  # fmt: skip
        self.for_model(setup.model)
        start = time.perf_counter()
        model = self.fit(ctx.x_train, ctx.y_train)
        seconds = time.perf_counter() - start
        protected = setup.with_model(model)
        protected = protected.replace(ctx=type(ctx)(
            x_test=ctx.x_test, y_test=ctx.y_test, x_train=ctx.x_train, y_train=ctx.y_train,
            train_victim=self.fit, facts=ctx.facts.copy(), progress=ctx.progress))  # fmt: skip
        protected.notes.append(f"victim trained by {self.name}")
        base_acc = float(setup.model.score(ctx.x_test, ctx.y_test))
        acc = float(model.score(ctx.x_test, ctx.y_test))
        base_seconds = training_seconds(setup.model)
        extra = {"clean_accuracy_without": base_acc, "clean_accuracy_with": acc}
        if base_seconds > 0:
            extra["training_time_multiplier"] = seconds / base_seconds
        return protected, DefenseCost(accuracy_drop=base_acc - acc, seconds=seconds, extra=extra)
