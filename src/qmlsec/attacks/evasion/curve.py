"""The robust-accuracy curve: per-sample evasion records and the metrics computed from them.

One evasion run evaluates every test sample at every ε. The record keeps, per sample,
the true label, the clean prediction and, per ε, the adversarial prediction and the
L∞ / L2 norms of the perturbation (raw feature units). Every metric is computed from
that record, so a stored result can always be re-derived and re-plotted.

Example:
    >>> import numpy as np
    >>> rec = CurveRecord(eps=[0.1, 0.2], labels=np.array([0, 1]), clean=np.array([0, 1]),
    ...                   adversarial=np.array([[0, 1], [1, 1]]),
    ...                   linf=np.zeros((2, 2)), l2=np.zeros((2, 2)))
    >>> rec.metrics()["adversarial_accuracy@0.2"]
    0.5
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


def eps_key(name: str, eps: float) -> str:
    """Metric key for a value at one ε, e.g. ``adversarial_accuracy@0.1``."""
    return f"{name}@{float(eps):g}"


@dataclass
class CurveRecord:
    """Per-sample outcomes of one evasion run over a list of ε.

    Attributes:
        eps: the ε values, in the order evaluated.
        labels: true labels ``(n,)``.
        clean: the victim's clean predictions ``(n,)``.
        adversarial: the victim's predictions on the adversarial inputs ``(n, E)``.
        linf, l2: perturbation norms ``(n, E)`` in raw feature units.
    """

    eps: list[float]
    labels: np.ndarray
    clean: np.ndarray
    adversarial: np.ndarray
    linf: np.ndarray
    l2: np.ndarray

    @property
    def clean_correct(self) -> np.ndarray:
        return np.asarray(self.clean == self.labels)

    def adversarial_correct(self) -> np.ndarray:
        """``(n, E)``: still correctly classified under attack."""
        return np.asarray(self.adversarial == self.labels[:, None])

    def accuracy(self) -> np.ndarray:
        return self.adversarial_correct().mean(axis=0)

    def success_rate(self) -> np.ndarray:
        """Per ε: the share of clean-correct samples whose prediction the attack changed."""
        correct = self.clean_correct
        if not correct.any():
            return np.zeros(len(self.eps))
        broken = ~self.adversarial_correct() & correct[:, None]
        return broken[correct].mean(axis=0)

    def metrics(self) -> dict[str, float]:
        """Clean accuracy, then per ε: adversarial accuracy, success rate, mean norms."""
        out: dict[str, float] = {"clean_accuracy": float(self.clean_correct.mean())}
        acc, success = self.accuracy(), self.success_rate()
        for k, e in enumerate(self.eps):
            out[eps_key("adversarial_accuracy", e)] = float(acc[k])
            out[eps_key("success_rate", e)] = float(success[k])
            out[eps_key("mean_linf", e)] = float(self.linf[:, k].mean())
            out[eps_key("mean_l2", e)] = float(self.l2[:, k].mean())
        out["min_adversarial_accuracy"] = float(acc.min()) if len(acc) else out["clean_accuracy"]
        return out

    def curves(self) -> dict[str, dict[str, list[Any]]]:
        """Robust accuracy, success rate and mean perturbation as series over ε."""
        x = [float(e) for e in self.eps]
        return {
            "robust_accuracy": {"x": x, "y": self.accuracy().tolist()},
            "success_rate": {"x": x, "y": self.success_rate().tolist()},
            "mean_linf": {"x": x, "y": self.linf.mean(axis=0).tolist()},
            "mean_l2": {"x": x, "y": self.l2.mean(axis=0).tolist()},
        }

    def per_sample(self) -> dict[str, list[Any]]:
        """Equal-length per-sample lists (per-ε values as inner lists, in ``eps`` order)."""
        return {
            "label": self.labels.tolist(),
            "clean_prediction": self.clean.tolist(),
            "adversarial_prediction": self.adversarial.tolist(),
            "linf": self.linf.tolist(),
            "l2": self.l2.tolist(),
        }
