"""Shared run of the label-flipping attacks: accuracy drop as a function of poison rate.

For every rate the poisoned labels are produced by the attack's :meth:`relabel`, the
victim is retrained on them, and its test accuracy is compared with a victim retrained
on the clean labels the same way. Per-sample records are kept over the training set
(original and poisoned label at every rate); the metrics are computed from them and the
retrained models' test predictions.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, ClassVar

import numpy as np
from pydantic import field_validator

from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.poisoning.base import PoisoningAttack, rate_key
from qmlsec.attacks.result import AttackResult
from qmlsec.config import FrozenModel
from qmlsec.stats import difference, proportion


class FlipParams(FrozenModel):
    """Label-flipping parameters.

    Attributes:
        rates: poison rates (fractions of the training set whose label is flipped).
    """

    rates: tuple[float, ...] = (0.1, 0.2, 0.3)

    @field_validator("rates", mode="before")
    @classmethod
    def _rate_list(cls, value: object) -> object:
        return (value,) if isinstance(value, int | float) else value

    @field_validator("rates")
    @classmethod
    def _rates_valid(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if not value or any(not 0.0 <= r <= 1.0 for r in value):
            raise ValueError("rates must be a non-empty list of values in [0, 1]")
        return value


class LabelFlipping(PoisoningAttack):
    """A poisoning attack that only changes labels, swept over poison rates."""

    Params: ClassVar[type[FrozenModel]] = FlipParams
    check_params: ClassVar[dict[str, Any]] = {"rates": [0.3]}

    @abstractmethod
    def relabel(self, x: np.ndarray, y: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """New labels (all different from ``y[idx]``) for the selected samples ``idx``."""

    def poison(self, x: np.ndarray, y: np.ndarray, *, rate: float) -> tuple[np.ndarray, np.ndarray]:
        x = np.array(x, dtype=np.float64)
        y_p = np.array(y, copy=True)
        idx = self.selection(len(y_p), rate)
        if len(idx) and len(np.unique(y_p)) > 1:
            y_p[idx] = self.relabel(x, np.asarray(y), idx)
        return x, y_p

    def _run(self, ctx: AttackContext) -> AttackResult:
        x, y = self.training_data(ctx)
        x_test, y_test = np.array(ctx.x_test, dtype=np.float64), np.array(ctx.y_test)
        train = self.trainer(ctx)
        rates = [float(r) for r in self.params.rates]
        total = len(rates) + 1
        ctx.report(f"{self.name} clean", 0, total)
        clean_acc = float(train(x, y).score(x_test, y_test))
        poisoned_labels, accuracy = [], []
        for k, rate in enumerate(rates):
            ctx.report(f"{self.name} rate={rate:g}", k + 1, total)
            _, y_p = self.poison(x, y, rate=rate)
            poisoned_labels.append(y_p)
            accuracy.append(float(train(x, y_p).score(x_test, y_test)))
        ctx.report(f"{self.name} done", total, total)
        labels = np.stack(poisoned_labels, axis=1)
        flipped = (labels != y[:, None]).mean(axis=0)
        metrics: dict[str, float] = {"clean_accuracy": clean_acc}
        for k, rate in enumerate(rates):
            metrics[rate_key("accuracy", rate)] = accuracy[k]
            metrics[rate_key("accuracy_drop", rate)] = clean_acc - accuracy[k]
            metrics[rate_key("flipped_fraction", rate)] = float(flipped[k])
        metrics["mean_accuracy_drop"] = float(np.mean([clean_acc - a for a in accuracy]))
        result = self.new_result(
            metrics=metrics,
            per_sample={
                "label": y.tolist(),
                "poisoned_label": labels.tolist(),
                **self.sample_details(x, y),
            },
            curves={
                "accuracy": {"x": rates, "y": accuracy},
                "accuracy_drop": {"x": rates, "y": [clean_acc - a for a in accuracy]},
            },
        )
        n_test = len(y_test)  # the accuracies are over test data, not the records above
        clean_est = proportion(clean_acc, n_test)
        result.intervals["clean_accuracy"] = clean_est
        for k, rate in enumerate(rates):
            est = proportion(accuracy[k], n_test)
            result.intervals[rate_key("accuracy", rate)] = est
            result.intervals[rate_key("accuracy_drop", rate)] = difference(clean_est, est)
        result.notes.append(
            "per-sample records are over the training set; accuracy on ctx test data"
        )
        return result

    def sample_details(self, x: np.ndarray, y: np.ndarray) -> dict[str, list[Any]]:
        """Hook: extra per-training-sample records (e.g. encoded-state similarities)."""
        return {}
