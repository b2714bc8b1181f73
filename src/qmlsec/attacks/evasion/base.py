"""Base class of the evasion family: one verb, ``generate``, plus the robustness curve."""

from __future__ import annotations

from abc import abstractmethod
from typing import ClassVar

import numpy as np

from qmlsec.attacks.base import Attack


class EvasionAttack(Attack):
    """Crafts inputs, close to the originals, that the victim misclassifies."""

    family: ClassVar[str] = "evasion"

    @abstractmethod
    def generate(self, x: np.ndarray, y: np.ndarray, *, eps: float) -> np.ndarray:
        """Return adversarial versions of raw inputs ``x`` (true labels ``y``) within ``eps``."""
