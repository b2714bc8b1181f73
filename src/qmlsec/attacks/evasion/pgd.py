"""PGD: projected gradient descent on the cross-entropy, L∞ or L2, optional random start.

Example:
    >>> from qmlsec.attacks import AttackContext, Target
    >>> from qmlsec.data import load_dataset, split
    >>> from qmlsec.models.classifier import QNNClassifier
    >>> train, test = split(load_dataset("iris"), test_size=0.3, seed=0)
    >>> clf = QNNClassifier(n_qubits=4, layers=2, epochs=10, lr=0.1).fit(train.X, train.y)
    >>> result = PGD(Target.white_box(clf), {"eps": [0.1], "steps": 5}).run(
    ...     AttackContext(x_test=test.X, y_test=test.y, x_train=train.X))
    >>> result.metrics["adversarial_accuracy@0.1"] <= result.metrics["clean_accuracy"]
    True
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from qmlsec.attacks.evasion.iterative import IterativeEvasion, IterativeParams


class PGDParams(IterativeParams):
    """PGD defaults: 10 steps of α = 2.5·ε/steps, no random start, best iterate kept."""

    step_ratio: float = Field(2.5, gt=0)


class PGD(IterativeEvasion):
    """Projected Gradient Descent (Madry et al.) through the whole QNN pipeline.

    Iterates ``x ← Π_{B(x₀,ε) ∩ box}(x + α·step(∇ₓL))`` with ``step`` the sign of the
    gradient (L∞) or the L2-normalised gradient (L2), ``α = 2.5·ε/steps`` by default and
    an optional uniform random start in the ε-ball; keeps the best iterate per sample.

    Paper: Madry, Makelov, Schmidt, Tsipras, Vladu, "Towards Deep Learning Models
    Resistant to Adversarial Attacks", ICLR 2018 (arXiv:1706.06083); on QNNs: Lu, Duan,
    Deng, PRR 2, 033212 (2020).

    Not covered: restarts, targeted PGD, L1, adaptive step sizes (APGD).
    """

    name: ClassVar[str] = "evasion.pgd"
    technique_id: ClassVar[str] = "QML.T0011.000"
    Params: ClassVar[type[IterativeParams]] = PGDParams
