"""MIM: the momentum iterative method.

Example:
    >>> from qmlsec.attacks.targets import Target
    >>> from qmlsec.data import load_dataset, split
    >>> from qmlsec.models.classifier import QNNClassifier
    >>> train, test = split(load_dataset("iris"), test_size=0.3, seed=0)
    >>> clf = QNNClassifier(n_qubits=4, layers=2, epochs=10, lr=0.1).fit(train.X, train.y)
    >>> MIM(Target.white_box(clf), {"steps": 3}).generate(test.X, test.y, eps=0.1).shape
    (45, 4)
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from qmlsec.attacks.evasion.iterative import IterativeEvasion, IterativeParams


class MIMParams(IterativeParams):
    """MIM defaults: 10 steps of α = ε/steps, momentum decay μ = 1."""

    decay: float = Field(1.0, gt=0)


class MIM(IterativeEvasion):
    """Momentum Iterative Method: accumulates ``g ← μ·g + ∇ₓL/‖∇ₓL‖₁`` and steps along
    ``sign(g)`` (L∞) or ``g/‖g‖₂`` (L2) with α = ε/steps, projected and clipped.

    Paper: Dong, Liao, Pang, Su, Zhu, Hu, Li, "Boosting Adversarial Attacks with
    Momentum", CVPR 2018 (arXiv:1710.06081); on QNNs: Lu, Duan, Deng, PRR 2, 033212 (2020).

    Not covered: ensemble-of-models MIM, targeted MIM.
    """

    name: ClassVar[str] = "evasion.mim"
    technique_id: ClassVar[str] = "QML.T0011.000"
    Params: ClassVar[type[IterativeParams]] = MIMParams
