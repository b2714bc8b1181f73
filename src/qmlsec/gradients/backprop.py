"""Backpropagation through the simulator (exact; simulator only).

Uses the engine's fast path and its autograd/stored/adjoint backward. Not possible on
hardware: it needs the state, so the executions it reports are the forward ones only.

Example:
    >>> import torch
    >>> from qmlsec.circuits import QNNSpec
    >>> from qmlsec.engine import compile_circuit
    >>> cc = compile_circuit(QNNSpec(n_qubits=2, layers=1).build())
    >>> Backprop().executions(cc, batch_size=16)
    16
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from qmlsec.engine import CompiledCircuit, Executor
from qmlsec.engine.gates import ShiftRule
from qmlsec.gradients.base import GradientMethod


class Backprop(GradientMethod):
    """Exact gradients by differentiating the simulation itself."""

    name = "backprop"
    hardware_compatible = False

    def expectations(
        self,
        circuit: CompiledCircuit,
        x: torch.Tensor | None,
        theta: torch.Tensor | None,
        executor: Executor | None = None,
    ) -> torch.Tensor:
        """Expectations differentiable by autograd; ``executor`` must be differentiable."""
        if executor is None:
            return circuit.expectations(x, theta)
        return executor(circuit.angles(x, theta))

    def extra_per_sample(self, circuit: CompiledCircuit, mask: torch.Tensor) -> int:
        return 0

    def angle_vjp(
        self,
        f: Executor,
        angles: torch.Tensor,
        grad_out: torch.Tensor,
        mask: torch.Tensor,
        shift_rules: Sequence[ShiftRule],
    ) -> torch.Tensor:
        with torch.enable_grad():
            a = angles.detach().requires_grad_(True)
            (grad,) = torch.autograd.grad(f(a), a, grad_out)
        return grad * mask
