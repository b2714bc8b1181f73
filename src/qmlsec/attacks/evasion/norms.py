"""Norm-ball geometry shared by the gradient attacks: steepest-ascent steps, projections,
random starts and the valid input box.

All functions act row-wise on ``(B, d)`` float64 tensors; ``radius`` is a scalar in raw
feature units.

Example:
    >>> import torch
    >>> d = torch.tensor([[3.0, -4.0]], dtype=torch.float64)
    >>> project(d, 1.0, "2").norm().item()
    1.0
    >>> project(d, 1.0, "inf").tolist()
    [[1.0, -1.0]]
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import torch

from qmlsec.exceptions import ConfigError

Norm = Literal["inf", "2"]
_TINY = 1e-12


def steepest_step(grad: torch.Tensor, norm: Norm) -> torch.Tensor:
    """The unit-norm direction maximising ``<grad, v>``: ``sign(grad)`` for L∞, ``grad/‖grad‖₂`` for L2."""
    if norm == "inf":
        return grad.sign()
    return grad / grad.norm(dim=1, keepdim=True).clamp_min(_TINY)


def project(delta: torch.Tensor, radius: float, norm: Norm) -> torch.Tensor:
    """Project perturbations ``delta`` onto the ``norm`` ball of ``radius``."""
    if norm == "inf":
        return delta.clamp(-radius, radius)
    scale = (radius / delta.norm(dim=1, keepdim=True).clamp_min(_TINY)).clamp(max=1.0)
    return delta * scale


def random_start(
    shape: torch.Size | tuple[int, ...], radius: float, norm: Norm, generator: torch.Generator
) -> torch.Tensor:
    """A uniform random point in the ``norm`` ball (Madry et al. 2018 random start)."""
    if norm == "inf":
        u = torch.rand(shape, generator=generator, dtype=torch.float64)
        return (2.0 * u - 1.0) * radius
    g = torch.randn(shape, generator=generator, dtype=torch.float64)
    direction = g / g.norm(dim=1, keepdim=True).clamp_min(_TINY)
    r = torch.rand((shape[0], 1), generator=generator, dtype=torch.float64) ** (1.0 / shape[1])
    return direction * r * radius


def clip_to_box(x: torch.Tensor, box: tuple[float, float]) -> torch.Tensor:
    """Clip inputs into the valid box ``[lo, hi]``."""
    return x.clamp(box[0], box[1])


def resolve_box(clip: tuple[float, float] | None, data: np.ndarray) -> tuple[float, float]:
    """The valid input box: ``clip`` when given, else the min/max of ``data``.

    Raises:
        ConfigError: if the box is empty.
    """
    lo, hi = clip if clip is not None else (float(np.min(data)), float(np.max(data)))
    if not hi > lo:
        raise ConfigError(
            f"the valid input box [{lo}, {hi}] is empty",
            hint="pass params clip=[lo, hi] with lo < hi",
        )
    return float(lo), float(hi)


def radius_of(eps: float, box: tuple[float, float], units: Literal["box", "raw"]) -> float:
    """The raw-feature radius of ``eps``: ``eps*(hi-lo)`` in ``box`` units, else ``eps``."""
    return float(eps) * (box[1] - box[0]) if units == "box" else float(eps)


def perturbation_norms(x: np.ndarray, x_adv: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample L∞ and L2 norms of ``x_adv - x`` (raw feature units)."""
    diff = np.asarray(x_adv, dtype=np.float64) - np.asarray(x, dtype=np.float64)
    return np.abs(diff).max(axis=1), np.linalg.norm(diff, axis=1)
