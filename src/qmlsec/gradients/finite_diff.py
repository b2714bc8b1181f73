"""Central finite differences on the angles (hardware compatible, biased O(h^2)).

``d f / d a_g ~ (f(a_g + h) - f(a_g - h)) / (2 h)`` for every differentiated angle.

Example:
    >>> import torch
    >>> from qmlsec.circuits import QNNSpec
    >>> from qmlsec.engine import compile_circuit
    >>> cc = compile_circuit(QNNSpec(n_qubits=2, layers=1).build())
    >>> theta = torch.rand(cc.n_weights, dtype=torch.float64, requires_grad=True)
    >>> FiniteDiff(h=1e-4).expectations(cc, torch.rand(2, 2), theta).sum().backward()
    >>> theta.grad.shape
    torch.Size([4])
"""

from __future__ import annotations

from collections.abc import Sequence

from qmlsec.engine.gates import ShiftRule
from qmlsec.exceptions import ConfigError
from qmlsec.gradients.parameter_shift import ShiftedDifferences


class FiniteDiff(ShiftedDifferences):
    """Central finite differences with step ``h``.

    Args:
        h: step on each angle (radians).
        max_rows: most rows per executor call.
    """

    name = "finite-diff"

    def __init__(self, h: float = 1e-3, max_rows: int = 4096) -> None:
        if not h > 0:
            raise ConfigError(f"finite-difference step h must be > 0, got {h}")
        self.h = h
        self.max_rows = max_rows

    def rules(self, shift_rules: Sequence[ShiftRule]) -> Sequence[ShiftRule]:
        term = ((0.5 / self.h, self.h), (-0.5 / self.h, -self.h))
        return [term if rule else () for rule in shift_rules]
