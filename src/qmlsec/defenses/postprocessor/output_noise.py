"""Calibrated noise on probabilities, keeping the arg-max (a reverse-sigmoid-free variant).

Mitigation QML.M0003 (output hardening), in the spirit of prediction-poisoning defenses
(Orekondy et al., "Prediction Poisoning", ICLR 2020; Lee et al., "Defending against NN
model stealing attacks using deceptive perturbations", S&P Workshops 2019): each row
gets Dirichlet noise mixed in with weight ``scale`` and, when ``keep_label`` is set, the
result is projected so that the arg-max (the served label) is unchanged. Honest clients
see the same labels; a clone distilled from the probabilities learns a distorted
posterior. Noise draws are seeded per call.

Not covered: the utility-constrained optimal perturbation of Orekondy et al.,
differential-privacy calibration of the noise.

Example:
    >>> import numpy as np
    >>> noisy = OutputNoise({"scale": 0.5}, seed=0)(np.array([[0.2, 0.8]]))
    >>> int(noisy.argmax()), round(float(noisy.sum()), 6)
    (1, 1.0)
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from pydantic import Field

from qmlsec.config import FrozenModel, rng
from qmlsec.defenses.postprocessor.base import PostprocessorDefense


class OutputNoiseParams(FrozenModel):
    """Parameters of :class:`OutputNoise`."""

    scale: float = Field(0.5, ge=0, le=1)
    keep_label: bool = True


class OutputNoise(PostprocessorDefense):
    """Mix seeded Dirichlet noise into every probability row."""

    name: ClassVar[str] = "postprocessor.output_noise"
    mitigation_id: ClassVar[str] = "QML.M0003"
    counters: ClassVar[tuple[str, ...]] = (
        "extraction.substitute", "extraction.quantumleak", "inference.membership_threshold",
    )  # fmt: skip
    Params = OutputNoiseParams

    def __call__(self, probs: np.ndarray) -> np.ndarray:
        probs = np.asarray(probs, dtype=np.float64)
        calls = getattr(self, "calls_", 0)
        self.calls_ = calls + 1
        gen = rng(self.seed, "output_noise", calls)
        noise = gen.dirichlet(np.ones(probs.shape[1]), size=len(probs))
        out = (1 - self.params.scale) * probs + self.params.scale * noise
        if self.params.keep_label:
            rows, top = np.arange(len(probs)), probs.argmax(axis=1)
            best_other = np.where(np.eye(probs.shape[1], dtype=bool)[top], -np.inf, out).max(1)
            out[rows, top] = np.maximum(out[rows, top], best_other + 1e-6)
        return out / out.sum(axis=1, keepdims=True)
