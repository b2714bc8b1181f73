"""Backward passes through the state evolution: autograd, stored, adjoint.

- ``autograd``: plain torch autograd through every kernel (the reference).
- ``stored``: a custom ``autograd.Function`` that keeps each step's input state and
  applies the kernels' explicit vector-Jacobian products (no broadcast copies).
- ``adjoint``: keeps only the final state; the backward walks the steps in reverse, as
  ``lightning.qubit``'s adjoint method does, uncomputing the state
  (``psi_in = U^dagger psi_out``) next to the co-state (``lam_in = U^dagger lam_out``), so
  memory stays at a few states whatever the depth.

In all three the gradients reach the steps' tensors (kron matrices, phase vectors) and
flow from there to the angles, x and theta by ordinary autograd.

Example:
    >>> import torch
    >>> from qmlsec.circuits import QNNSpec
    >>> from qmlsec.engine import compile_circuit
    >>> cc = compile_circuit(QNNSpec(n_qubits=3, layers=2).build(), backward="adjoint")
    >>> theta = torch.rand(cc.n_weights, dtype=torch.float64, requires_grad=True)
    >>> cc.expectations(torch.rand(4, 3, dtype=torch.float64), theta).sum().backward()
    >>> theta.grad.shape
    torch.Size([12])
"""

from __future__ import annotations

from typing import Any

import torch

from qmlsec.engine.kernels import Step
from qmlsec.engine.ops import Steps, run


def evolve(state: torch.Tensor, steps: Steps, mode: str) -> torch.Tensor:
    """Apply ``steps`` to ``state`` with backward ``mode`` (autograd, stored, adjoint)."""
    if mode == "autograd" or not torch.is_grad_enabled():
        return run(state, steps)
    kernels = [s for s, _ in steps]
    params = [p for _, p in steps]
    return _Evolve.apply(state, kernels, mode == "stored", *params)


class _Evolve(torch.autograd.Function):
    @staticmethod
    def forward(
        ctx: Any, state: torch.Tensor, kernels: list[Step], keep: bool, *params: torch.Tensor | None
    ) -> torch.Tensor:  # type: ignore[override]
        inputs = []
        for k, p in zip(kernels, params, strict=True):
            if keep:
                inputs.append(state)
            state = k.apply(state, p)
        ctx.kernels, ctx.keep, ctx.n = kernels, keep, len(kernels)
        ctx.save_for_backward(state, *params, *inputs)
        return state

    @staticmethod
    def backward(ctx: Any, lam: torch.Tensor) -> tuple[torch.Tensor | None, ...]:  # type: ignore[override]
        saved = ctx.saved_tensors
        n = ctx.n
        s_out, params, inputs = saved[0], saved[1 : 1 + n], saved[1 + n :]
        wants = ctx.needs_input_grad[3:]
        grads: list[torch.Tensor | None] = [None] * n
        for i in range(n - 1, -1, -1):
            k, p = ctx.kernels[i], params[i]
            s_in = inputs[i] if ctx.keep else k.adjoint(s_out, p)
            lam, grads[i] = k.vjp(s_in, s_out, lam, p, bool(wants[i]))
            s_out = s_in
        return (lam if ctx.needs_input_grad[0] else None, None, None, *grads)
