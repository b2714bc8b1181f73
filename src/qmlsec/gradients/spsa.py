"""SPSA: simultaneous-perturbation gradient estimates (hardware compatible, stochastic).

Each resample draws a Rademacher direction ``delta`` (±1 on the differentiated angles,
shared by the batch, like perturbing the circuit's weights once) and estimates
``grad ~ (f(a + c delta) - f(a - c delta)) / (2 c) * delta``; ``resamples`` estimates are
averaged. Unbiased up to O(c^2). Reference: Spall, IEEE TAC 37(3), 1992.

Example:
    >>> import torch
    >>> from qmlsec.circuits import QNNSpec
    >>> from qmlsec.engine import compile_circuit
    >>> cc = compile_circuit(QNNSpec(n_qubits=2, layers=1).build())
    >>> spsa = SPSA(c=0.05, resamples=2, seed=7)
    >>> spsa.executions(cc, batch_size=8)  # (1 + 2 * 2) executions per sample
    40
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from qmlsec.config import torch_generator
from qmlsec.engine import CompiledCircuit, Executor
from qmlsec.engine.gates import ShiftRule
from qmlsec.exceptions import ConfigError
from qmlsec.gradients.base import GradientMethod, evaluate


class SPSA(GradientMethod):
    """SPSA gradient estimator.

    Args:
        c: perturbation size on each angle.
        resamples: directions averaged per backward.
        seed: seed of the direction stream (``derive_seed(seed, "spsa")``).
        generator: explicit generator; overrides ``seed``.
        max_rows: most rows per executor call.
    """

    name = "spsa"

    def __init__(
        self,
        c: float = 0.01,
        resamples: int = 1,
        seed: int = 0,
        generator: torch.Generator | None = None,
        max_rows: int = 4096,
    ) -> None:
        if not c > 0 or resamples < 1:
            raise ConfigError(
                f"SPSA needs c > 0 and resamples >= 1, got c={c}, resamples={resamples}"
            )
        self.c, self.resamples, self.seed = c, resamples, seed
        self.generator = generator
        self.max_rows = max_rows
        self.generator_: torch.Generator | None = None

    def extra_per_sample(self, circuit: CompiledCircuit, mask: torch.Tensor) -> int:
        return 2 * self.resamples if bool(mask.any()) else 0

    def _gen(self) -> torch.Generator:
        if self.generator_ is None:
            self.generator_ = self.generator or torch_generator(self.seed, "spsa")
        return self.generator_

    def angle_vjp(
        self,
        f: Executor,
        angles: torch.Tensor,
        grad_out: torch.Tensor,
        mask: torch.Tensor,
        shift_rules: Sequence[ShiftRule],
    ) -> torch.Tensor:
        n = angles.shape[0]
        grad = torch.zeros_like(angles)
        for _ in range(self.resamples):
            signs = torch.randint(0, 2, (angles.shape[1],), generator=self._gen()) * 2 - 1
            delta = (signs * mask).to(angles.dtype)
            both = torch.cat([angles + self.c * delta, angles - self.c * delta])
            values = evaluate(f, both, self.max_rows)
            slope = ((values[:n] - values[n:]) * grad_out).sum(-1) / (2 * self.c)  # (N,)
            grad += slope[:, None] * delta[None]
        return grad / self.resamples
