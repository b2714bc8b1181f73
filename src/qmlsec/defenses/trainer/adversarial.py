"""Adversarial training: PGD examples mixed into every epoch (Madry-style min-max).

Mitigation QML.M0001, after Madry, Makelov, Schmidt, Tsipras, Vladu (ICLR 2018,
arXiv:1706.06083) and, for QNNs, Lu, Duan, Deng ("Quantum adversarial machine
learning", PRR 2020, arXiv:2001.00030), who restore BIM accuracy from ~15% to ~95%.
The classifier is first fitted on clean data for ``warmup`` epochs; then each epoch
crafts L∞ PGD examples (the registered ``evasion.pgd`` on the current model) and takes
one pass over the clean and adversarial samples together (``mix`` = share of
adversarial samples).

The inner attack is configurable as in Madry et al.: radius ``eps`` (in raw feature
units by default, ``eps_units="box"`` for a fraction of the input box, as for every
evasion attack), ``steps`` steps of size ``α = step_ratio·ε/steps`` (``step_ratio``
2.5, the paper's choice of ``2.5·ε/k``, so a step budget can still reach the far side
of the ball) and a uniform random start in the ε-ball (``random_start``, on by default
as in the paper's training runs). The parameters used are written into the history rows
(``adv_eps``, ``adv_steps``, ``adv_step_size``, ``adv_random_start``).

Not covered: TRADES-style losses, certified training, adversarial training through
parameter-shift gradients on hardware (gradients here are exact backprop).

Example:
    >>> from qmlsec.testing.victims import small_victim
    >>> victim = small_victim()
    >>> clf = AdversarialTraining({"epochs": 1, "warmup": 1, "steps": 2}).fit(
    ...     victim.x_train, victim.y_train)
    >>> type(clf).__name__
    'QNNClassifier'
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

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
    """Radius of the training attack's L∞ ball, in ``eps_units``."""
    eps_units: Literal["raw", "box"] = "raw"
    """``raw``: ε in raw feature units (as IBM ART); ``box``: a fraction of the box width."""
    steps: int = Field(5, ge=1)
    """PGD steps per crafted example."""
    step_ratio: float = Field(2.5, gt=0)
    """Step size ``α = step_ratio·ε/steps`` (Madry et al.: 2.5)."""
    random_start: bool = True
    """Start each PGD run at a uniform random point of the ε-ball (Madry et al.)."""
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

    def attack_params(self) -> dict[str, Any]:
        """The parameters of the PGD run that crafts each epoch's examples."""
        p = self.params
        return {"eps": [p.eps], "eps_units": p.eps_units, "norm": "inf", "steps": p.steps,
                "step_ratio": p.step_ratio, "random_start": p.random_start}  # fmt: skip

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
            pgd = PGD(Target.white_box(clf), self.attack_params(),
                      seed=derive_seed(self.seed, "pgd", epoch))  # fmt: skip
            x_adv = pgd.generate(X[pick], y[pick], eps=p.eps, box=box) if pick.any() else X[:0]
            feats = clf.preprocessing_.transform(np.concatenate([X, x_adv]))
            labels = torch.cat([y_idx, y_idx[torch.as_tensor(pick)]])
            rows = train_module(clf.model_, torch.as_tensor(feats, dtype=torch.float64),
                                labels, config, seed=derive_seed(self.seed, "epoch", epoch))  # fmt: skip
            alpha = pgd.radius(p.eps, box) * p.step_ratio / p.steps
            used = {"adv_eps": p.eps, "adv_steps": float(p.steps), "adv_step_size": alpha,
                    "adv_random_start": float(p.random_start)}  # fmt: skip
            history += [{**row, **used} for row in rows]
        clf.history_ = history
        return clf
