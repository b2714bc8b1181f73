"""What an honest-but-curious provider sees of the victim's jobs, and the angle algebra.

:class:`JobObserver` is an observing :class:`~qmlsec.cloud.providers.hooks.ProviderHook`
(``on_submit``): it keeps every submitted circuit and its parameter values. For a QNN
served through :class:`~qmlsec.cloud.executor.CloudExecutor`, the circuit has one
parameter per rotation angle and each row of values is ``angles = A x + B theta + c``,
affine in the circuit inputs ``x`` and weights ``theta`` (:meth:`CompiledCircuit.angles`).
With the architecture known (identified first), :func:`solve_inputs` inverts that map:
``theta`` is shared by all rows, ``x`` is per row, one least-squares system.

Example:
    >>> obs = JobObserver()
    >>> obs.rows().shape
    (0, 0)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from qmlsec.cloud.providers.hooks import ProviderHook
from qmlsec.cloud.providers.jobs import QuantumJob


class JobObserver(ProviderHook):
    """``on_submit``: record every job's circuit and parameter values (observe only)."""

    def __init__(self) -> None:
        self.jobs: list[QuantumJob] = []

    def on_submit(self, job: QuantumJob) -> None:
        """Keep the job."""
        self.jobs.append(job)

    def rows(self) -> np.ndarray:
        """All observed parameter-value rows stacked ``(N, G)``."""
        if not self.jobs:
            return np.zeros((0, 0))
        return np.vstack([np.asarray(j.parameter_values, dtype=float) for j in self.jobs])


def affine_map(
    compiled: Any, n_inputs: int, n_weights: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(A, B, c)`` with ``angles = A x + B theta + c`` for a compiled circuit."""
    zero_x, zero_t = (
        torch.zeros(1, n_inputs, dtype=torch.float64),
        torch.zeros(n_weights, dtype=torch.float64),
    )
    with torch.no_grad():
        c = compiled.angles(zero_x, zero_t).numpy()[0]
        eye_x = torch.eye(n_inputs, dtype=torch.float64)
        a = compiled.angles(eye_x, zero_t).numpy() - c
        b = np.stack(
            [
                compiled.angles(zero_x, t).numpy()[0] - c
                for t in torch.eye(n_weights, dtype=torch.float64)
            ]
        )
    return a.T, b.T, c


def solve_inputs(
    compiled: Any, rows: np.ndarray, n_inputs: int, n_weights: int
) -> tuple[np.ndarray, np.ndarray, float]:
    """Per-row inputs ``x`` (N, n_inputs), shared weights ``theta`` and the max residual."""
    a, b, c = affine_map(compiled, n_inputs, n_weights)
    n = len(rows)
    g = a.shape[0]
    design = np.zeros((n * g, n * n_inputs + n_weights))
    for i in range(n):
        design[i * g : (i + 1) * g, i * n_inputs : (i + 1) * n_inputs] = a
        design[i * g : (i + 1) * g, n * n_inputs :] = b
    target = (np.asarray(rows, dtype=float) - c).reshape(-1)
    sol, *_ = np.linalg.lstsq(design, target, rcond=None)
    residual = float(np.max(np.abs(design @ sol - target))) if len(target) else 0.0
    return sol[: n * n_inputs].reshape(n, n_inputs), sol[n * n_inputs :], residual


__all__ = ["JobObserver", "affine_map", "solve_inputs"]
