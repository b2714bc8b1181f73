"""Train a substitute QNN on query answers: hard labels or (noisy) probability vectors.

The substitute is a :class:`~qmlsec.models.classifier.QNNClassifier` of the attacker's
chosen architecture. Its pre-processing is fitted on the attacker's query inputs, and
its network is trained with :func:`~qmlsec.models.training.train_module` on a loss
between its softmax output and the victim's answers: cross-entropy (equal to the KL
divergence up to a constant; with one-hot targets the usual label loss) or the Huber
loss on probabilities used by QuantumLeak.

Example:
    >>> import numpy as np
    >>> from qmlsec.data import load_dataset
    >>> ds = load_dataset("iris")
    >>> targets = np.eye(3)[ds.y]
    >>> sub = fit_substitute(ds.X, targets, SubstituteArch(layers=1), epochs=3, seed=0)
    >>> sub.predict_proba(ds.X[:2]).shape
    (2, 3)
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import torch
from pydantic import Field

from qmlsec.config import FrozenModel, derive_seed
from qmlsec.data import make_pipeline
from qmlsec.exceptions import DataError
from qmlsec.models.classifier import QNNClassifier
from qmlsec.models.hybrid import HybridQNN
from qmlsec.models.training import train_module

ResponseLoss = Literal["cross_entropy", "huber"]


class SubstituteArch(FrozenModel):
    """The substitute's architecture (see :class:`~qmlsec.circuits.QNNSpec`)."""

    n_qubits: int = Field(default=4, ge=1, le=12)
    layers: int = Field(default=2, ge=1)
    ansatz: str = "hardware_efficient"
    entanglement: str = "ring"


def response_loss(
    logits: torch.Tensor, targets: torch.Tensor, kind: ResponseLoss, delta: float = 0.5
) -> torch.Tensor:
    """Loss between the substitute's ``logits`` and target probability rows."""
    if kind == "huber":
        probs = torch.softmax(logits, dim=1)
        return torch.nn.functional.huber_loss(probs, targets, delta=delta)
    return torch.nn.functional.cross_entropy(logits, targets)


def fit_substitute(
    x: np.ndarray,
    targets: np.ndarray,
    arch: SubstituteArch,
    *,
    loss: ResponseLoss = "cross_entropy",
    huber_delta: float = 0.5,
    epochs: int = 30,
    lr: float = 0.1,
    batch_size: int = 16,
    seed: int = 0,
) -> QNNClassifier:
    """Fit a substitute on raw query inputs ``x`` and target probability rows ``targets``.

    Args:
        x: raw query inputs ``(n, d)``.
        targets: ``(n, C)`` rows summing to one: victim probabilities, or one-hot labels
            for a label-only endpoint. Class ``k`` is column ``k``.
        arch: the substitute's architecture; ``n_qubits`` is capped at ``d``.
        loss: ``cross_entropy`` or ``huber`` (on probabilities, threshold ``huber_delta``).
        epochs, lr, batch_size: optimisation settings.
        seed: pre-processing, initial weights and batch order derive from it.

    Returns:
        A fitted classifier whose ``classes_`` are ``0..C-1``. Its ``history_`` rows hold
        the training loss only.
    """
    x = np.asarray(x, dtype=np.float64)
    targets = np.asarray(targets, dtype=np.float64)
    if x.ndim != 2 or targets.ndim != 2 or len(x) != len(targets) or len(x) < 2:
        raise DataError(
            f"need at least 2 query inputs (n, d) with targets (n, C); got {x.shape} and "
            f"{targets.shape}",
            hint="query the endpoint with more samples",
        )
    n_qubits = min(arch.n_qubits, x.shape[1], len(x))
    clf = QNNClassifier(
        n_qubits=n_qubits,
        layers=arch.layers,
        ansatz=arch.ansatz,
        entanglement=arch.entanglement,
        epochs=epochs,
        lr=lr,
        batch_size=batch_size,
        random_state=seed,
    )
    spec = clf.spec()
    clf.preprocessing_ = make_pipeline(reduction="pca", n_components=spec.n_inputs).fit(
        x, seed=derive_seed(seed, "preprocessing")
    )
    clf.model_ = HybridQNN(spec, n_classes=targets.shape[1], seed=derive_seed(seed, "model"))
    clf.classes_ = np.arange(targets.shape[1])
    features = torch.as_tensor(clf.preprocessing_.transform(x), dtype=torch.float64)
    target_rows = torch.as_tensor(targets)

    def loss_fn(logits: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
        return response_loss(logits, target_rows[rows], loss, huber_delta)

    # The "labels" handed to the loop are row indices, so its accuracy column is meaningless.
    history = train_module(
        clf.model_,
        features,
        torch.arange(len(x)),
        clf.training_config(),
        seed=derive_seed(seed, "training"),
        loss_fn=loss_fn,
    )
    clf.history_ = [{k: v for k, v in row.items() if k != "train_accuracy"} for row in history]
    return clf


def one_hot(labels: np.ndarray, n_classes: int) -> np.ndarray:
    """One-hot rows for class indices ``labels``."""
    labels = np.asarray(labels).astype(np.int64).ravel()
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise DataError(
            f"labels must be class indices in 0..{n_classes - 1}",
            hint="the endpoint should answer class indices",
        )
    return np.eye(n_classes)[labels]


__all__ = ["ResponseLoss", "SubstituteArch", "fit_substitute", "one_hot", "response_loss"]
