"""Adversarial training: PGD examples mixed into every epoch (Madry-style min-max).

Mitigation QML.M0001, after Madry, Makelov, Schmidt, Tsipras, Vladu (ICLR 2018,
arXiv:1706.06083) and, for QNNs, Lu, Duan, Deng ("Quantum adversarial machine
learning", PRR 2020, arXiv:2001.00030), who restore BIM accuracy from ~15% to ~95%.
The classifier is first fitted on clean data for ``warmup`` epochs; then each epoch
crafts L∞ PGD examples (the registered ``evasion.pgd`` on the current model, radius
``eps`` as a fraction of the input box, ``steps`` steps) and takes one pass over the
clean and adversarial samples together (``mix`` = share of adversarial samples).

Not covered: TRADES-style losses, certified training, adversarial training through
parameter-shift gradients on hardware (gradients here are exact backprop).

Example:
    >>> from qmlsec.data import load_dataset, split  # doctest: +SKIP
    >>> clf = AdversarialTraining({"eps": 0.1}).fit(train.X, train.y)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import torch
from pydantic import Field

from qmlsec.attacks.evasion.pgd import PGD
from qmlsec.attacks.targets import Target
from qmlsec.config import FrozenModel, derive_seed, rng
from qmlsec.defenses.trainer.base import TrainerDefense
from qmlsec.models.training import train_module


class AdversarialTrainingParams(FrozenModel):
    """Parameters of :class:`AdversarialTraining`."""

    eps: float = Field(0.1, ge=0)
    steps: int = Field(5, ge=1)
    warmup: int = Field(5, ge=0)
    epochs: int = Field(10, ge=1)
    mix: float = Field(0.5, gt=0, le=1)


class AdversarialTraining(TrainerDefense):
    """Train on clean plus PGD examples crafted against the current model."""

    name: ClassVar[str] = "trainer.adversarial"
    mitigation_id: ClassVar[str] = "QML.M0001"
    counters: ClassVar[tuple[str, ...]] = (
        "evasion.pgd", "evasion.fgsm", "evasion.bim", "evasion.mim", "evasion.transfer",
    )  # fmt: skip
    Params = AdversarialTrainingParams
    check_params: ClassVar[dict[str, Any]] = {"epochs": 1, "warmup": 1, "steps": 2}

    def fit(self, X: np.ndarray, y: np.ndarray) -> Any:
        p = self.params
        X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
        clf = self.classifier(epochs=max(1, p.warmup)).fit(X, y)
        box = (float(X.min()), float(X.max()))
        config = clf.training_config().model_copy(update={"epochs": 1})
        y_idx = torch.as_tensor(clf.class_index(y), dtype=torch.long)
        history = list(clf.history_)
        for epoch in range(p.epochs):
            pick = rng(self.seed, "adv", epoch).random(len(X)) < p.mix
            pgd = PGD(Target.white_box(clf), {"eps": [p.eps], "steps": p.steps},
                      seed=derive_seed(self.seed, "pgd", epoch))  # fmt: skip
            x_adv = pgd.generate(X[pick], y[pick], eps=p.eps, box=box) if pick.any() else X[:0]
            feats = clf.preprocessing_.transform(np.concatenate([X, x_adv]))
            labels = torch.cat([y_idx, y_idx[torch.as_tensor(pick)]])
            history += train_module(clf.model_, torch.as_tensor(feats, dtype=torch.float64),
                                    labels, config, seed=derive_seed(self.seed, "epoch", epoch))  # fmt: skip
        clf.history_ = history
        return clf
