"""BIM: the basic iterative method (iterated FGSM with clipping to the ε-ball).

Example:
    >>> from qmlsec.attacks.targets import Target
    >>> from qmlsec.data import load_dataset, split
    >>> from qmlsec.models.classifier import QNNClassifier
    >>> train, test = split(load_dataset("iris"), test_size=0.3, seed=0)
    >>> clf = QNNClassifier(n_qubits=4, layers=2, epochs=10, lr=0.1).fit(train.X, train.y)
    >>> BIM(Target.white_box(clf), {"steps": 3}).generate(test.X, test.y, eps=0.1).shape
    (45, 4)
"""

from __future__ import annotations

from typing import ClassVar

from qmlsec.attacks.evasion.iterative import IterativeEvasion, IterativeParams


class BIMParams(IterativeParams):
    """BIM defaults: 10 steps of α = ε/steps from the clean input, best iterate kept."""


class BIM(IterativeEvasion):
    """Basic Iterative Method: ``steps`` FGSM steps of α = ε/steps, each projected onto
    the ε-ball and clipped into the valid box; no random start.

    Paper: Kurakin, Goodfellow, Bengio, "Adversarial examples in the physical world",
    ICLR workshop 2017 (arXiv:1607.02533); on QNNs: Lu, Duan, Deng, PRR 2, 033212 (2020).

    Not covered: the least-likely-class (targeted) variant; the paper's step-count rule
    ``min(ε+4, 1.25ε)`` for 8-bit images (``steps`` is a parameter instead).
    """

    name: ClassVar[str] = "evasion.bim"
    technique_id: ClassVar[str] = "QML.T0011.000"
    Params: ClassVar[type[IterativeParams]] = BIMParams
