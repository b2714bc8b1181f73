"""Random label flipping: the baseline poisoning attack.

Example:
    >>> import numpy as np
    >>> from qmlsec.attacks import Capability, Position, Target
    >>> target = Target(Position.SUPPLY_CHAIN, frozenset({Capability.TRAINING_DATA_WRITE}))
    >>> y = np.array([0, 1, 2] * 10)
    >>> _, y_p = RandomLabelFlip(target, seed=0).poison(np.zeros((30, 2)), y, rate=0.2)
    >>> int((y_p != y).sum())
    6
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from qmlsec.attacks.poisoning.flipping import LabelFlipping
from qmlsec.config import rng


class RandomLabelFlip(LabelFlipping):
    """Flips the labels of a random fraction of the training set, each to a uniformly
    random *other* class, and retrains the victim.

    Paper: the random-flipping baseline of Kundu & Ghosh, "Adversarial Data Poisoning
    Attacks on Quantum Machine Learning in the NISQ Era" (arXiv:2411.14412); classical
    origin: Biggio, Nelson, Laskov, "Support Vector Machines Under Adversarial Label
    Noise", ACML 2011.

    Not covered: class-conditional flip matrices, clean-label poisoning, changing
    features.
    """

    name: ClassVar[str] = "poisoning.label_flip"
    technique_id: ClassVar[str] = "QML.T0012.000"

    def relabel(self, x: np.ndarray, y: np.ndarray, idx: np.ndarray) -> np.ndarray:
        classes = np.unique(y)
        gen = rng(self.seed, self.name, "labels")
        shift = gen.integers(1, len(classes), size=len(y))[idx]
        pos = np.searchsorted(classes, y[idx])
        return classes[(pos + shift) % len(classes)]
