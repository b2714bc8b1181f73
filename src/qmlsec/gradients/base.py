"""Gradient methods: the shared interface and the executor-wrapping autograd function.

A method turns a compiled circuit and inputs into differentiable expectation values.
Hardware-compatible methods (parameter shift, SPSA, finite differences) never look inside
the circuit: they call an *executor* ``f(angles (N, G)) -> (N, n_obs)`` on the per-row
angles (forward) and on shifted or perturbed copies (backward). The executor can be the
exact engine, sampled shots, or a noisy cloud backend; an executor with a ``shifted``
attribute runs the backward circuits through that one instead. Gradients then reach ``x`` and
``theta`` through the linear angle map ``a = x A_x^T + theta A_theta^T + c`` by autograd,
which is the chain rule for weights shared by several gates.

Only the angles that need a gradient are shifted: those depending on ``x`` when ``x``
requires grad, on ``theta`` when ``theta`` requires grad (global-phase angles never).

Cost accounting: ``method.executions(circuit, batch_size, inputs_grad=..., weights_grad=...)``
is the number of circuit executions one forward + backward of a batch costs on
hardware, i.e. ``batch_size * per_sample * circuit.measurement.n_circuits`` where
``per_sample`` counts the unshifted circuit plus every shifted/perturbed circuit, and
``n_circuits`` is the number of measurement bases the observables need (1 for Z readout).

Example:
    >>> import torch
    >>> from qmlsec.circuits import QNNSpec
    >>> from qmlsec.engine import compile_circuit
    >>> from qmlsec.gradients import get_gradient
    >>> cc = compile_circuit(QNNSpec(n_qubits=2, layers=1).build())
    >>> ps = get_gradient("parameter-shift")
    >>> ps.executions(cc, batch_size=10)  # 4 weight angles x 2 shifts + 1 forward
    90
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

import torch

from qmlsec.engine import CompiledCircuit, Executor
from qmlsec.engine.gates import ShiftRule


def differentiated(circuit: CompiledCircuit, inputs_grad: bool, weights_grad: bool) -> torch.Tensor:
    """(G,) mask of the angles a backward pass must differentiate."""
    need = torch.zeros(circuit.n_angles, dtype=torch.bool)
    if inputs_grad:
        need |= circuit.input_dependent
    if weights_grad:
        need |= circuit.weight_dependent
    has_rule = torch.tensor([bool(r) for r in circuit.shift_rules], dtype=torch.bool)
    return need & has_rule if circuit.n_angles else need


class GradientMethod(ABC):
    """A way to differentiate expectation values.

    Attributes:
        name: registry name.
        hardware_compatible: whether it only needs circuit executions (not the state).
    """

    name: ClassVar[str]
    hardware_compatible: ClassVar[bool] = True

    def expectations(
        self,
        circuit: CompiledCircuit,
        x: torch.Tensor | None,
        theta: torch.Tensor | None,
        executor: Executor | None = None,
    ) -> torch.Tensor:
        """Expectations (B, n_obs), differentiable in x and theta by this method.

        Args:
            circuit: the compiled circuit.
            x: inputs (B, n_inputs) or None.
            theta: weights (P,) or (B, P).
            executor: ``f(angles) -> expectations``; default the exact engine.
        """
        angles = circuit.angles(x, theta)
        mask = differentiated(
            circuit,
            x is not None and x.requires_grad,
            theta is not None and theta.requires_grad,
        )
        f = executor or circuit.expectations_from_angles
        return _Rule.apply(angles, self, f, mask, circuit.shift_rules)

    def executions(
        self,
        circuit: CompiledCircuit,
        batch_size: int,
        *,
        inputs_grad: bool = False,
        weights_grad: bool = True,
    ) -> int:
        """Circuit executions of one forward + backward over ``batch_size`` samples."""
        mask = differentiated(circuit, inputs_grad, weights_grad)
        per_sample = 1 + self.extra_per_sample(circuit, mask)
        return batch_size * per_sample * circuit.measurement.n_circuits

    @abstractmethod
    def extra_per_sample(self, circuit: CompiledCircuit, mask: torch.Tensor) -> int:
        """Backward executions per sample for the differentiated angles ``mask``."""

    @abstractmethod
    def angle_vjp(
        self,
        f: Executor,
        angles: torch.Tensor,
        grad_out: torch.Tensor,
        mask: torch.Tensor,
        shift_rules: Sequence[ShiftRule],
    ) -> torch.Tensor:
        """``grad_out^T d f / d angles`` (N, G), zero outside ``mask``."""

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.endswith("_"))
        return f"{type(self).__name__}({params})"


class _Rule(torch.autograd.Function):
    @staticmethod
    def forward(
        ctx: Any,
        angles: torch.Tensor,
        method: GradientMethod,
        f: Executor,
        mask: torch.Tensor,
        rules: Sequence[ShiftRule],
    ) -> torch.Tensor:  # type: ignore[override]
        ctx.save_for_backward(angles)
        ctx.method, ctx.f, ctx.mask, ctx.rules = method, f, mask, rules
        with torch.no_grad():
            return f(angles.detach())

    @staticmethod
    def backward(ctx: Any, grad_out: torch.Tensor) -> tuple[torch.Tensor | None, ...]:  # type: ignore[override]
        (angles,) = ctx.saved_tensors
        if not bool(ctx.mask.any()):
            return None, None, None, None, None
        with torch.no_grad():
            # an executor may hand the shifted/perturbed circuits to a sibling that
            # accounts them as gradient circuits (a quantum cloud's job purpose)
            f = getattr(ctx.f, "shifted", None) or ctx.f
            grad = ctx.method.angle_vjp(f, angles.detach(), grad_out, ctx.mask, ctx.rules)
        return grad.to(angles.dtype), None, None, None, None


def evaluate(f: Executor, angles: torch.Tensor, max_rows: int) -> torch.Tensor:
    """``f`` over many rows, ``max_rows`` at a time (bounds simulator memory)."""
    if angles.shape[0] <= max_rows:
        return f(angles)
    return torch.cat([f(part) for part in angles.split(max_rows)])
