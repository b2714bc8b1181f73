"""DP-SGD: per-sample gradient clipping and Gaussian noise, with a Rényi-DP accountant.

Mitigation QML.M0002, after Abadi, Chu, Goodfellow, McMahan, Mironov, Talwar, Zhang,
"Deep Learning with Differential Privacy" (CCS 2016, arXiv:1607.00133, Algorithm 1), as
applied to variational quantum classifiers by Watkins, Chen, Yoo, "Quantum machine
learning with differential privacy" (Sci. Rep. 13, 2453, 2023; arXiv:2103.06232). Each
step draws a lot by Poisson sampling (every training sample joins with probability
``q = lot_size / N``), computes every sample's gradient of the cross-entropy w.r.t.
all trainable weights (PQC angles and the linear head), clips each to L2 norm
``clip_norm``, sums them, adds ``N(0, (noise_multiplier * clip_norm)^2)`` per
coordinate, divides by the expected lot size and hands the result to the recipe's
optimizer. The privacy spent, ``(epsilon, delta)``, is computed by
:class:`~qmlsec.defenses.trainer.rdp_accountant.RDPAccountant` (moments / Rényi
accounting of the subsampled Gaussian) and recorded on the fitted model
(``dp_epsilon_``) and in the defense's cost.

Where the classical cloud runs the optimizer and sees the step's gradient (QML.T0029),
the user's side clips and noises before the hand-off, so the cloud sees only the
privatised gradient (:meth:`DPSGD.privatize`): that is what gradient inversion then
inverts.

Cost: clean accuracy lost, training-time multiplier and the privacy spent.

Not covered: the quantum-noise amplification of privacy studied by Du et al. (the noise
here is classical, added to the gradient), shot noise of parameter-shift gradients
(gradients are exact), private selection of hyper-parameters, and the pre-processing
(scaler, PCA), which is fitted on the training data without privacy.

Example:
    >>> DPSGD({"noise_multiplier": 2.0}).params.clip_norm
    1.0
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

import numpy as np
import torch
from pydantic import Field

from qmlsec.attacks.setup import AttackSetup
from qmlsec.config import FrozenModel, derive_seed, torch_generator
from qmlsec.defenses.base import DefenseCost
from qmlsec.defenses.trainer.base import TrainerDefense
from qmlsec.defenses.trainer.rdp_accountant import RDPAccountant
from qmlsec.models.training import make_optimizer


class DPSGDParams(FrozenModel):
    """Parameters of :class:`DPSGD`."""

    noise_multiplier: float = Field(1.0, ge=0)
    """``sigma``: noise standard deviation in units of ``clip_norm``."""
    clip_norm: float = Field(1.0, gt=0)
    """``C``: per-sample gradient L2 bound."""
    lot_size: int = Field(16, ge=1)
    """Expected lot size ``L`` (sampling rate ``q = L / N``)."""
    epochs: int | None = Field(None, ge=1)
    """Passes over the data (``steps = epochs * N / L``); default: the recipe's."""
    delta: float = Field(1e-5, gt=0, lt=1)
    """``delta`` of the reported ``(epsilon, delta)``."""


def per_sample_gradients(
    module: torch.nn.Module, x: torch.Tensor, y: torch.Tensor
) -> list[torch.Tensor]:
    """Each sample's loss gradient, stacked per parameter: ``(B, *param.shape)``."""
    params = [p for p in module.parameters() if p.requires_grad]
    rows: list[list[torch.Tensor]] = []
    for i in range(len(x)):
        loss = torch.nn.functional.cross_entropy(module(x[i : i + 1]), y[i : i + 1])
        rows.append(list(torch.autograd.grad(loss, params)))
    return [torch.stack(g) for g in zip(*rows, strict=True)]


def clip_and_noise(
    grads: list[torch.Tensor],
    clip_norm: float,
    noise_multiplier: float,
    denominator: float,
    gen: torch.Generator,
) -> list[torch.Tensor]:
    """Algorithm 1 of Abadi et al.: clip each row to ``clip_norm``, sum, add noise, average."""
    n = grads[0].shape[0]
    norms = torch.sqrt(sum((g.reshape(n, -1) ** 2).sum(1) for g in grads))  # type: ignore[arg-type]
    scale = torch.clamp(clip_norm / (norms + 1e-12), max=1.0)
    out = []
    for g in grads:
        total = (g * scale.reshape(-1, *([1] * (g.dim() - 1)))).sum(0)
        noise = torch.randn(total.shape, generator=gen, dtype=total.dtype)
        out.append((total + noise_multiplier * clip_norm * noise) / denominator)
    return out


class DPSGD(TrainerDefense):
    """Train the victim's recipe with differentially private SGD and account for it."""

    name: ClassVar[str] = "trainer.dp_sgd"
    mitigation_id: ClassVar[str] = "QML.M0002"
    counters: ClassVar[tuple[str, ...]] = (
        "inference.membership_threshold", "inference.membership_shadow",
        "inference.model_inversion", "inference.gradient_inversion",
    )  # fmt: skip
    Params = DPSGDParams
    check_params: ClassVar[dict[str, Any]] = {"epochs": 2, "noise_multiplier": 1.0}

    def accountant(self, n_train: int) -> RDPAccountant:
        """The accountant of a run on ``n_train`` samples with these params."""
        p = self.params
        q = min(1.0, p.lot_size / n_train)
        epochs = p.epochs or int(self.recipe.get("epochs", 15))
        steps = int(np.ceil(epochs / q))
        return RDPAccountant(q, p.noise_multiplier, steps)

    def fit(self, X: np.ndarray, y: np.ndarray) -> Any:
        p = self.params
        X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
        clf = self.classifier()
        feats, labels = clf.fit_preprocessing(X, y)
        qnn = clf.init_model()
        acc = self.accountant(len(X))
        params = [q for q in qnn.parameters() if q.requires_grad]
        optimizer = make_optimizer(params, clf.training_config())
        sample_gen = torch_generator(derive_seed(self.seed, "dp-sgd"), "lots")
        noise_gen = torch_generator(derive_seed(self.seed, "dp-sgd"), "noise")
        history: list[dict[str, float]] = []
        start = time.perf_counter()
        qnn.train()
        for step in range(acc.steps):
            lot = torch.nonzero(torch.rand(len(X), generator=sample_gen) < acc.sampling_rate)
            lot = lot.flatten()
            if len(lot):
                grads = per_sample_gradients(qnn, feats[lot], labels[lot])
            else:
                grads = [torch.zeros((1, *q.shape), dtype=q.dtype) for q in params]
            noisy = clip_and_noise(grads, p.clip_norm, p.noise_multiplier, float(p.lot_size),
                                   noise_gen)  # fmt: skip
            optimizer.zero_grad()
            for q, g in zip(params, noisy, strict=True):
                q.grad = g.to(q.dtype)
            optimizer.step()
            if (step + 1) % max(1, int(round(1 / acc.sampling_rate))) == 0:
                history.append({"epoch": float(len(history) + 1),
                                "seconds": time.perf_counter() - start})  # fmt: skip
                start = time.perf_counter()
        qnn.eval()
        clf.history_ = history
        clf.dp_epsilon_ = acc.epsilon(p.delta)  # type: ignore[attr-defined]
        clf.dp_delta_ = p.delta  # type: ignore[attr-defined]
        return clf

    def privatize(self, grads: list[torch.Tensor]) -> list[torch.Tensor]:
        """The gradient the classical cloud sees of one batch under DP-SGD."""
        p = self.params
        gen = torch_generator(derive_seed(self.seed, "dp-sgd"), "shared", grads[0].shape[0])
        return clip_and_noise(grads, p.clip_norm, p.noise_multiplier, float(grads[0].shape[0]),
                              gen)  # fmt: skip

    def protect(self, setup: AttackSetup) -> tuple[AttackSetup, DefenseCost]:
        protected, cost = super().protect(setup)
        model = protected.model
        cost.extra["epsilon"] = float(getattr(model, "dp_epsilon_", np.inf))
        cost.extra["delta"] = float(self.params.delta)
        cost.extra["noise_multiplier"] = float(self.params.noise_multiplier)
        if setup.attack_cls.name == "inference.gradient_inversion":
            protected = protected.replace(attack_cls=private_gradients(setup.attack_cls, self))
            protected.notes.append(f"{self.name}: the cloud sees clipped, noised gradients")
        protected.notes.append(f"{self.name}: (epsilon={cost.extra['epsilon']:.3g}, "
                               f"delta={self.params.delta:g})")  # fmt: skip
        return protected, cost


def private_gradients(attack_cls: type, defense: DPSGD) -> type:
    """``attack_cls`` whose shared gradients are DP-SGD's privatised ones."""

    class PrivateGradients(attack_cls):  # type: ignore[misc, valid-type]
        def shared_gradients(self, x_raw: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
            model = self.target.model
            feats = torch.as_tensor(model.preprocessing_.transform(x_raw))
            target = torch.as_tensor(model.class_index(y), dtype=torch.long)
            names = [n for n, _ in self.net.named_parameters()]
            grads = defense.privatize(per_sample_gradients(self.net, feats, target))
            return {n: g.detach().numpy() for n, g in zip(names, grads, strict=True)}

    PrivateGradients.__name__ = attack_cls.__name__
    PrivateGradients.__qualname__ = attack_cls.__qualname__
    return PrivateGradients
