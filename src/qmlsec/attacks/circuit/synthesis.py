"""Low-precision rotation synthesis: every rotation angle rounded to a grid of ``pi/2**k``.

The model of approximate synthesis used by :mod:`~qmlsec.attacks.circuit.qdoor`
(QDoor, Chu et al., arXiv:2307.09529): an approximate compiler that synthesises each
``R(angle)`` with ``bits`` of angle precision replaces it by ``R(round(angle/step)*step)``
with ``step = pi / 2**bits``; the unitary error is at most ``step/2`` per rotation.
:class:`RoundAngles` is the Qiskit pass for deployment (pure: a new circuit comes back);
:func:`round_angles_ste` is the same map on a batch of angles with a straight-through
gradient, for training against it.

A parameterised rotation ``R(g)`` is rounded at the value ``g`` takes in the job:
the pass rewrites it to ``R(g + (round(v) - v))`` for its value ``v``, so the circuit keeps
its parameters and binds to the rounded angle.

Example:
    >>> from qiskit import QuantumCircuit
    >>> qc = QuantumCircuit(1); _ = qc.rz(0.9, 0)
    >>> out = RoundAngles(bits=2)(qc)
    >>> round(float(out.data[0].operation.params[0]), 4)  # pi/4 grid
    0.7854
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter, ParameterExpression
from qiskit.dagcircuit import DAGCircuit
from qiskit.transpiler.basepasses import TransformationPass

from qmlsec.exceptions import ConfigError

ROTATIONS = frozenset({"rx", "ry", "rz", "p", "u1", "crx", "cry", "crz", "cp", "rxx", "ryy", "rzz"})


def grid_step(bits: int) -> float:
    """The angle step ``pi / 2**bits`` of a ``bits``-bit rotation synthesis."""
    if bits < 0:
        raise ConfigError(f"bits must be >= 0, got {bits}", hint="e.g. 2 for a pi/4 grid")
    return float(np.pi / 2**bits)


def round_angle(angle: float, bits: int) -> float:
    """``angle`` rounded to the nearest multiple of :func:`grid_step`."""
    step = grid_step(bits)
    return float(np.round(angle / step) * step)


def round_angles_ste(angles: torch.Tensor, bits: int) -> torch.Tensor:
    """Rounded angles whose gradient is the identity (straight-through estimator)."""
    step = grid_step(bits)
    return angles + (torch.round(angles / step) * step - angles).detach()


class RoundAngles(TransformationPass):
    """Round every rotation angle of a circuit to the ``pi/2**bits`` grid.

    Args:
        bits: precision of the synthesis (2: a ``pi/4`` grid).
        values: the value of each free parameter in this job (a parameterised angle
            without one is left as it is).
    """

    def __init__(self, bits: int, values: Mapping[Parameter, float] | None = None) -> None:
        super().__init__()
        grid_step(bits)
        self.bits = bits
        self.values = dict(values or {})

    def _rounded(self, angle: object) -> object:
        if not isinstance(angle, ParameterExpression) or not angle.parameters:
            return round_angle(float(angle), self.bits)  # type: ignore[arg-type]
        if not angle.parameters <= self.values.keys():
            return angle
        value = float(angle.bind({p: self.values[p] for p in angle.parameters}))
        return angle + (round_angle(value, self.bits) - value)

    def run(self, dag: DAGCircuit) -> DAGCircuit:
        """The DAG with its rotation angles rounded."""
        for node in dag.op_nodes():
            if node.op.name in ROTATIONS:
                op = node.op.copy()
                op.params = [self._rounded(a) for a in op.params]
                dag.substitute_node(node, op)
        return dag


def synthesise(
    circuit: QuantumCircuit, bits: int, values: Mapping[Parameter, float] | None = None
) -> QuantumCircuit:
    """A new circuit: ``circuit`` after :class:`RoundAngles` (the input is untouched)."""
    return RoundAngles(bits, values)(circuit)


__all__ = ["ROTATIONS", "RoundAngles", "grid_step", "round_angle", "round_angles_ste", "synthesise"]
