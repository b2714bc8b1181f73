"""Base of the post-processor defenses: one verb, ``__call__(probs) -> probs``.

A post-processor hardens what the inference endpoint returns. Protecting an attack's
setup wraps its black-box endpoint in a
:class:`~qmlsec.defenses.endpoint.DefendedEndpoint`; the cost is the clean accuracy lost
by the hardened outputs (label changes) and their distortion (mean L1 distance between
the true and the returned probabilities).
"""

from __future__ import annotations

import time
from abc import abstractmethod
from typing import ClassVar

import numpy as np

from qmlsec.attacks.setup import AttackSetup
from qmlsec.defenses.base import Defense, DefenseCost
from qmlsec.defenses.endpoint import DefendedEndpoint


class PostprocessorDefense(Defense):
    """Hardens the probabilities an endpoint returns."""

    role: ClassVar[str] = "postprocessor"  # type: ignore[assignment]

    @abstractmethod
    def __call__(self, probs: np.ndarray) -> np.ndarray:
        """Hardened rows for probability rows ``probs`` (n, C)."""

    def protect(self, setup: AttackSetup) -> tuple[AttackSetup, DefenseCost]:
        protected = setup.with_endpoint(lambda inner: DefendedEndpoint(inner, postprocess=self))
        protected.notes.append(f"endpoint outputs hardened by {self.name}")
        start = time.perf_counter()
        probs = np.asarray(setup.model.predict_proba(setup.ctx.x_test), dtype=np.float64)
        hard = np.asarray(self(probs), dtype=np.float64)
        seconds = time.perf_counter() - start
        y = setup.model.class_index(np.asarray(setup.ctx.y_test))
        drop = float(np.mean(probs.argmax(1) == y) - np.mean(hard.argmax(1) == y))
        distortion = float(np.abs(hard - probs).sum(axis=1).mean())
        return protected, DefenseCost(accuracy_drop=drop, seconds=seconds,
                                      extra={"output_l1_distortion": distortion})  # fmt: skip
