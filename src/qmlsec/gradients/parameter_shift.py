"""Parameter-shift rule: exact gradients from shifted circuit executions.

Each differentiated angle ``a_g`` is shifted per its gate's rule (``cc.shift_rules[g]``):
two terms ``±pi/2`` for rotations, Pauli rotations (RX...RZX) and phase gates (P, CP,
whose generator has eigenvalues {0, 1}); four terms for controlled rotations (CRX, CRY,
CRZ). A weight used by several gates gets the sum over its occurrences through the linear
angle map (the chain rule), which autograd applies after this backward. References:
Schuld et al., PRA 99, 032331 (2019); Wierichs et al., Quantum 6, 677 (2022).

Example:
    >>> import torch
    >>> from qmlsec.circuits import QNNSpec
    >>> from qmlsec.engine import compile_circuit
    >>> cc = compile_circuit(QNNSpec(n_qubits=2, layers=1).build())
    >>> theta = torch.rand(cc.n_weights, dtype=torch.float64, requires_grad=True)
    >>> x = torch.rand(3, 2, dtype=torch.float64)
    >>> ParameterShift().expectations(cc, x, theta).sum().backward()
    >>> exact = torch.autograd.grad(cc.expectations(x, theta).sum(), theta)[0]
    >>> bool(torch.allclose(theta.grad, exact, atol=1e-10))
    True
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from qmlsec.engine import CompiledCircuit, Executor
from qmlsec.engine.gates import ShiftRule
from qmlsec.exceptions import ConfigError
from qmlsec.gradients.base import GradientMethod, evaluate


class ShiftedDifferences(GradientMethod):
    """Gradients as fixed linear combinations of per-angle shifted executions."""

    max_rows: int = 4096

    def rules(self, shift_rules: Sequence[ShiftRule]) -> Sequence[ShiftRule]:
        """The ``(coefficient, shift)`` terms used for each angle."""
        return shift_rules

    def extra_per_sample(self, circuit: CompiledCircuit, mask: torch.Tensor) -> int:
        rules = self.rules(circuit.shift_rules)
        return sum(len(rules[g]) for g in mask.nonzero().flatten().tolist())

    def angle_vjp(
        self,
        f: Executor,
        angles: torch.Tensor,
        grad_out: torch.Tensor,
        mask: torch.Tensor,
        shift_rules: Sequence[ShiftRule],
    ) -> torch.Tensor:
        rules = self.rules(shift_rules)
        terms = [(g, c, s) for g in mask.nonzero().flatten().tolist() for c, s in rules[g]]
        shifted = angles.repeat(len(terms), 1, 1)  # (T, N, G)
        for t, (g, _, s) in enumerate(terms):
            shifted[t, :, g] += s
        values = evaluate(f, shifted.reshape(-1, angles.shape[1]), self.max_rows)
        dots = (values.reshape(len(terms), *grad_out.shape) * grad_out).sum(-1)  # (T, N)
        grad = torch.zeros_like(angles)
        for t, (g, c, _) in enumerate(terms):
            grad[:, g] += c * dots[t]
        return grad


class ParameterShift(ShiftedDifferences):
    """Exact parameter-shift gradients (hardware compatible).

    Args:
        max_rows: most rows per executor call (bounds simulator memory).
    """

    name = "parameter-shift"

    def __init__(self, max_rows: int = 4096) -> None:
        if max_rows < 1:
            raise ConfigError(f"max_rows must be >= 1, got {max_rows}")
        self.max_rows = max_rows
