"""The projected iterative gradient loop behind BIM, PGD and MIM.

Each step: gradient of the cross-entropy through the whole pipeline, optional momentum
(MIM), a steepest-ascent step of size α in the chosen norm, projection onto the ε-ball
around the original input, clipping into the valid box. With ``keep_best`` the loop
returns, per sample, the best iterate seen: a misclassified one if any (highest loss
among those), else the highest-loss one; without it, the last iterate.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import torch
from pydantic import Field

from qmlsec.attacks.evasion.base import EvasionAttack, EvasionParams
from qmlsec.attacks.evasion.norms import Norm, clip_to_box, project, random_start, steepest_step
from qmlsec.attacks.evasion.pipeline import TorchPipeline, class_indices, loss_and_gradient
from qmlsec.attacks.targets import Capability
from qmlsec.config import torch_generator


class IterativeParams(EvasionParams):
    """Parameters of the iterative gradient attacks.

    Attributes:
        steps: gradient steps per ε.
        step_ratio: step size as a multiple of ε/steps (α = step_ratio·ε/steps).
        random_start: start from a uniform random point of the ε-ball.
        decay: momentum decay μ (MIM); 0 disables momentum.
        keep_best: return the best iterate instead of the last.
    """

    steps: int = Field(10, ge=1)
    step_ratio: float = Field(1.0, gt=0)
    random_start: bool = False
    decay: float = Field(0.0, ge=0)
    keep_best: bool = True


def _better(
    mis: torch.Tensor, loss: torch.Tensor, best_mis: torch.Tensor, best_loss: torch.Tensor
) -> torch.Tensor:
    return (mis & ~best_mis) | ((mis == best_mis) & (loss > best_loss))


def projected_ascent(
    net: torch.nn.Module,
    x0: torch.Tensor,
    y_idx: torch.Tensor,
    *,
    radius: float,
    box: tuple[float, float],
    norm: Norm,
    steps: int,
    alpha: float,
    start: torch.Tensor | None = None,
    decay: float = 0.0,
    keep_best: bool = True,
) -> torch.Tensor:
    """Maximise the cross-entropy of ``net`` within the ε-ball around ``x0`` and the box.

    Args:
        net: raw features -> logits.
        x0: original inputs ``(B, d)``.
        y_idx: true class indices ``(B,)``.
        radius: ε-ball radius in raw units.
        box: valid input box.
        norm: ``"inf"`` or ``"2"``.
        steps: iterations.
        alpha: step size in raw units.
        start: initial perturbation (random start), default zero.
        decay: momentum μ; the accumulated gradient is ``μ·g + ∇/‖∇‖₁`` (MIM).
        keep_best: return the best iterate rather than the last.

    Returns:
        Adversarial inputs ``(B, d)``.
    """
    delta = torch.zeros_like(x0) if start is None else project(start, radius, norm)
    x = clip_to_box(x0 + delta, box)
    momentum = torch.zeros_like(x0)
    best, best_mis, best_loss = x.clone(), None, None
    for _ in range(steps):
        loss, logits, grad = loss_and_gradient(net, x, y_idx)
        if keep_best:
            mis = logits.argmax(dim=1) != y_idx
            if best_mis is None or best_loss is None:
                best_mis, best_loss = mis, loss
            else:
                take = _better(mis, loss, best_mis, best_loss)
                best[take], best_mis[take], best_loss[take] = x[take], mis[take], loss[take]
        if decay > 0:
            l1 = grad.abs().sum(dim=1, keepdim=True).clamp_min(1e-12)
            momentum = decay * momentum + grad / l1
            grad = momentum
        x = x + alpha * steepest_step(grad, norm)
        x = clip_to_box(x0 + project(x - x0, radius, norm), box)
    if not keep_best or best_mis is None or best_loss is None:
        return x.detach()
    with torch.no_grad():
        logits = net(x)
        loss = torch.nn.functional.cross_entropy(logits, y_idx, reduction="none")
    take = _better(logits.argmax(dim=1) != y_idx, loss, best_mis, best_loss)
    best[take] = x[take]
    return best.detach()


class IterativeEvasion(EvasionAttack):
    """Shared ``generate`` of BIM, PGD and MIM (white-box, input gradients)."""

    requires: ClassVar[frozenset[Capability]] = frozenset({Capability.INPUT_GRADIENTS})
    Params: ClassVar[type[IterativeParams]] = IterativeParams

    def generate(
        self,
        x: np.ndarray,
        y: np.ndarray,
        *,
        eps: float,
        box: tuple[float, float] | None = None,
    ) -> np.ndarray:
        p = self.params
        x = np.array(x, dtype=np.float64)
        box = self.box_for(x, box)
        radius = self.radius(eps, box)
        net = TorchPipeline(self.target.model)
        y_idx = class_indices(self.target.model, y)
        gen = torch_generator(self.seed, self.name, "start", f"{float(eps):g}")
        out = np.empty_like(x)
        for sl in self.batches(len(x)):
            x0 = torch.as_tensor(x[sl])
            start = random_start(x0.shape, radius, p.norm, gen) if p.random_start else None
            out[sl] = projected_ascent(
                net,
                x0,
                y_idx[sl],
                radius=radius,
                box=box,
                norm=p.norm,
                steps=p.steps,
                alpha=p.step_ratio * radius / p.steps,
                start=start,
                decay=p.decay,
                keep_best=p.keep_best,
            ).numpy()
        return out
