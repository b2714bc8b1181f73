"""Noise-aware training: depolarising, shot and encoding-angle noise injected while training.

Mitigation QML.M0002, after Du, Hsieh, Liu, You, Tao, "Quantum noise protects quantum
classifiers against adversaries" (PRR 2021, arXiv:2003.09416): depolarising noise on a
quantum classifier yields a robustness bound that grows with the noise strength. Here
the noise acts during training only, as a regulariser of the deployed noiseless model.
Every training forward pass

1. perturbs the encoded features by Gaussian angle noise of width ``angle_sigma``
   (a coherent over-rotation of the encoding gates, fresh per sample and epoch);
2. passes each readout ``<Z_i>`` through a global depolarising channel of strength
   ``depolarizing`` (``<Z> -> (1-p)<Z>``) and samples it with ``shots`` shots
   (Gaussian approximation of the binomial), then rescales by ``1/(1-p)`` as a
   readout-rescaling step would, so the head sees unbiased but noisy expectations.

Cost: clean accuracy lost and the training-time multiplier (same epochs as the victim's
recipe plus nothing else; the noise itself is cheap).

Not covered: the certified bound of the paper (no certificate is computed), noise kept
at inference (the deployed model is noiseless), gate-level noise models inside the
simulator, and differentially private SGD.

Example:
    >>> NoiseAwareTraining({"depolarizing": 0.2}).params.shots
    64
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import torch
from pydantic import Field

from qmlsec.config import FrozenModel, derive_seed, torch_generator
from qmlsec.defenses.trainer.base import TrainerDefense
from qmlsec.models.training import train_module


class NoiseAwareParams(FrozenModel):
    """Parameters of :class:`NoiseAwareTraining`."""

    depolarizing: float = Field(0.2, ge=0, lt=1)
    """Global depolarising strength ``p`` on the readout during training."""
    shots: int | None = Field(64, ge=1)
    """Shots per expectation during training (``None``: no shot noise)."""
    angle_sigma: float = Field(0.15, ge=0)
    """Width of the Gaussian noise on the encoded features (radians after scaling)."""
    epochs: int | None = Field(None, ge=1)
    """Training epochs (default: the victim recipe's)."""


class NoisyForward(torch.nn.Module):
    """Wraps a :class:`~qmlsec.models.hybrid.HybridQNN`: noisy in ``train()``, exact in ``eval()``."""

    def __init__(self, qnn: Any, params: NoiseAwareParams, seed: int) -> None:
        super().__init__()
        self.qnn = qnn
        self.p = params
        self.gen = torch_generator(seed, "noise_aware")

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return self.qnn(features)
        p = self.p
        x = features
        if p.angle_sigma > 0:
            x = x + p.angle_sigma * torch.randn(x.shape, generator=self.gen, dtype=x.dtype)
        q = (1.0 - p.depolarizing) * self.qnn.quantum_features(x)
        if p.shots is not None:
            var = (1.0 - q.detach() ** 2).clamp(min=0.0) / p.shots
            q = q + var.sqrt() * torch.randn(q.shape, generator=self.gen, dtype=q.dtype)
        return self.qnn.head(q / (1.0 - p.depolarizing))


class NoiseAwareTraining(TrainerDefense):
    """Train the victim's recipe with depolarising, shot and angle noise in the loop."""

    name: ClassVar[str] = "trainer.noise_aware"
    mitigation_id: ClassVar[str] = "QML.M0002"
    counters: ClassVar[tuple[str, ...]] = ("evasion.pgd", "evasion.fgsm", "evasion.bim")
    Params = NoiseAwareParams
    check_params: ClassVar[dict[str, Any]] = {"epochs": 1, "shots": 16}

    def fit(self, X: np.ndarray, y: np.ndarray) -> Any:
        p = self.params
        X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
        clf = self.classifier(epochs=1).fit(X, y)  # fits pre-processing, initialises weights
        epochs = p.epochs or int(self.recipe.get("epochs", 15))
        config = clf.training_config().model_copy(update={"epochs": epochs})
        feats = torch.as_tensor(clf.preprocessing_.transform(X), dtype=torch.float64)
        labels = torch.as_tensor(clf.class_index(y), dtype=torch.long)
        noisy = NoisyForward(clf.model_, p, derive_seed(self.seed, "noise"))
        clf.history_ = list(clf.history_) + train_module(
            noisy, feats, labels, config, seed=derive_seed(self.seed, "train"))  # fmt: skip
        clf.model_.eval()
        return clf
