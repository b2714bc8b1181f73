"""FGSM: one signed-gradient step through the whole QNN pipeline.

Example:
    >>> from qmlsec.attacks.targets import Target
    >>> from qmlsec.data import load_dataset, split
    >>> from qmlsec.models.classifier import QNNClassifier
    >>> train, test = split(load_dataset("iris"), test_size=0.3, seed=0)
    >>> clf = QNNClassifier(n_qubits=4, layers=2, epochs=10, lr=0.1).fit(train.X, train.y)
    >>> x_adv = FGSM(Target.white_box(clf)).generate(test.X, test.y, eps=0.1)
    >>> bool(abs(x_adv - test.X).max() <= 0.1 * (test.X.max() - test.X.min()) + 1e-9)
    True
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import torch

from qmlsec.attacks.evasion.base import EvasionAttack
from qmlsec.attacks.evasion.norms import clip_to_box, steepest_step
from qmlsec.attacks.evasion.pipeline import TorchPipeline, class_indices, loss_and_gradient
from qmlsec.attacks.targets import Capability


class FGSM(EvasionAttack):
    """Fast Gradient Sign Method (L∞) and Fast Gradient Method (L2).

    ``x_adv = clip(x + ε·sign(∇ₓL))`` for L∞, ``clip(x + ε·∇ₓL/‖∇ₓL‖₂)`` for L2, with
    ``L`` the cross-entropy of the full pipeline (raw features → PCA → scaling →
    encoding + PQC → head) at the true label.

    Paper: Goodfellow, Shlens, Szegedy, "Explaining and Harnessing Adversarial Examples",
    ICLR 2015 (arXiv:1412.6572); applied to QNNs by Lu, Duan, Deng, PRR 2, 033212 (2020).

    Not covered: targeted FGSM, L1, label-leaking-free variants (the true label is used).
    """

    name: ClassVar[str] = "evasion.fgsm"
    technique_id: ClassVar[str] = "QML.T0011.000"
    requires: ClassVar[frozenset[Capability]] = frozenset({Capability.INPUT_GRADIENTS})

    def generate(
        self,
        x: np.ndarray,
        y: np.ndarray,
        *,
        eps: float,
        box: tuple[float, float] | None = None,
    ) -> np.ndarray:
        x = np.array(x, dtype=np.float64)
        box = self.box_for(x, box)
        radius = self.radius(eps, box)
        net = TorchPipeline(self.target.model)
        y_idx = class_indices(self.target.model, y)
        out = np.empty_like(x)
        for sl in self.batches(len(x)):
            x0 = torch.as_tensor(x[sl])
            _, _, grad = loss_and_gradient(net, x0, y_idx[sl])
            x_adv = clip_to_box(x0 + radius * steepest_step(grad, self.params.norm), box)
            out[sl] = x_adv.numpy()
        return out
