"""Small trained victims for conformance checks and tests, trained once per process.

Example:
    >>> victim = small_victim()  # iris, 4 qubits, 2 layers
    >>> victim.model.score(victim.x_test, victim.y_test) > 0.6
    True
    >>> ctx = victim.context(n_test=10)
    >>> ctx.x_test.shape
    (10, 4)
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np

from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.harness import context_for
from qmlsec.data import load_dataset, split
from qmlsec.models.classifier import QNNClassifier


@dataclass(frozen=True)
class Victim:
    """A fitted model and the split it was trained on (writable copies of the arrays)."""

    model: QNNClassifier
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    def context(self, *, n_test: int | None = None, **extras: Any) -> AttackContext:
        """A fresh attack context (first ``n_test`` test samples; training split included)."""
        n = len(self.y_test) if n_test is None else n_test
        return context_for(
            self.model, self.x_train, self.y_train, self.x_test[:n], self.y_test[:n], **extras
        )


@functools.cache
def small_victim(
    dataset: str = "iris",
    *,
    classes: str | None = None,
    n_qubits: int = 4,
    layers: int = 2,
    epochs: int = 15,
    lr: float = 0.1,
    test_size: float = 0.3,
    seed: int = 0,
) -> Victim:
    """Train (once per argument set and process) a small ``QNNClassifier`` victim.

    Args:
        dataset: built-in dataset name.
        classes: class subset such as ``"0-1"``.
        n_qubits, layers, epochs, lr: the model.
        test_size: held-out fraction.
        seed: split, weights and training order.
    """
    ds = load_dataset(dataset, classes=classes, seed=seed)
    train, test = split(ds, test_size=test_size, seed=seed)
    model = QNNClassifier(
        n_qubits=n_qubits, layers=layers, epochs=epochs, lr=lr, random_state=seed
    ).fit(train.X, train.y)
    return Victim(
        model=model,
        x_train=np.array(train.X),
        y_train=np.array(train.y),
        x_test=np.array(test.X),
        y_test=np.array(test.y),
    )
