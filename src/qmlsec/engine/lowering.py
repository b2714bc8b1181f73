"""Lowering: a Qiskit circuit to primitive gates plus the linear angle map.

Every parametrised gate occurrence becomes one *angle* ``a_g = A_x[g] x + A_theta[g] theta
+ c_g``. ``u``/``u2``/``u3`` are decomposed as ``P(phi) RY(theta) P(lambda)`` (exactly
equal, global phase included) so that every angle has a valid shift rule; gates outside
the kernel set are inlined through their Qiskit definition when they have one.

Example:
    >>> from qiskit import QuantumCircuit
    >>> from qiskit.circuit import ParameterVector
    >>> x, t = ParameterVector("x", 1), ParameterVector("theta", 1)
    >>> qc = QuantumCircuit(1)
    >>> _ = qc.rx(2 * x[0] + t[0] - 1, 0)
    >>> low = lower_circuit(qc)
    >>> low.a_x.tolist(), low.a_theta.tolist(), low.offset.tolist()
    ([[2.0]], [[1.0]], [-1.0])
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import Gate, Instruction, ParameterExpression
from qiskit.circuit.library import get_standard_gate_name_mapping

from qmlsec.engine.gates import ALIASES, KERNELS
from qmlsec.exceptions import CircuitError

IGNORED = {"barrier", "id", "delay"}
NON_UNITARY = {"measure", "reset", "initialize", "store"}
_HINT = "use Qiskit's standard gates with angles linear in x[i] and theta[j]"


@dataclass(frozen=True)
class PrimitiveGate:
    """One gate after lowering.

    Attributes:
        name: kernel name (``rx``...), ``global_phase``, or the constant gate's name.
        qubits: qubit indices (Qiskit order of the gate's arguments).
        angle: angle index for a parametrised occurrence, else None.
        matrix: constant matrix (Qiskit little-endian over ``qubits``), else None.
        operation: the constant Qiskit operation (to rebuild circuits), else None.
        phase: constant global phase (``global_phase`` only).
    """

    name: str
    qubits: tuple[int, ...]
    angle: int | None = None
    matrix: np.ndarray | None = None
    operation: Instruction | None = None
    phase: float = 0.0


@dataclass
class Lowered:
    """Result of :func:`lower_circuit`."""

    n_qubits: int
    n_inputs: int
    n_weights: int
    gates: list[PrimitiveGate] = field(default_factory=list)
    rows: list[tuple[dict[int, float], dict[int, float], float]] = field(default_factory=list)

    @property
    def a_x(self) -> np.ndarray:
        """(G, n_inputs) coefficients of x in every angle."""
        return self._dense(0, self.n_inputs)

    @property
    def a_theta(self) -> np.ndarray:
        """(G, n_weights) coefficients of theta in every angle."""
        return self._dense(1, self.n_weights)

    @property
    def offset(self) -> np.ndarray:
        """(G,) constant part of every angle."""
        return np.array([r[2] for r in self.rows], dtype=float)

    def _dense(self, which: int, width: int) -> np.ndarray:
        out = np.zeros((len(self.rows), width))
        for g, row in enumerate(self.rows):
            coeffs = row[0] if which == 0 else row[1]
            for i, v in coeffs.items():
                out[g, i] += v
        return out


def linear_form(
    expr: Any, inputs: str = "x", weights: str = "theta"
) -> tuple[dict[int, float], dict[int, float], float]:
    """Coefficients of ``expr`` as ``({i: coef of x[i]}, {j: coef of theta[j]}, const)``.

    Raises:
        CircuitError: if ``expr`` is not linear or uses a parameter outside ``x``/``theta``.
    """
    if not isinstance(expr, ParameterExpression) or not expr.parameters:
        return {}, {}, _real(expr, expr)
    cx: dict[int, float] = {}
    ct: dict[int, float] = {}
    for p in expr.parameters:
        vector = getattr(p, "vector", None)
        if vector is None or vector.name not in (inputs, weights):
            raise CircuitError(
                f"parameter {p.name!r} in {expr} is not an element of the "
                f"{inputs!r} or {weights!r} ParameterVector",
                hint=f"build inputs with ParameterVector({inputs!r}, n) and weights with "
                f"ParameterVector({weights!r}, m)",
            )
        d = expr.gradient(p)
        if isinstance(d, ParameterExpression) and d.parameters:
            raise CircuitError(
                f"gate angle {expr} is not linear in {p.name} (derivative {d})",
                hint="move non-linear feature maps to classical pre-processing "
                "(see QNNSpec.feature_map) and pass the result as circuit inputs",
            )
        (cx if vector.name == inputs else ct)[p.index] = _real(d, expr)
    const = expr.bind({p: 0.0 for p in expr.parameters})
    return cx, ct, _real(const, expr)


def _real(value: Any, expr: Any) -> float:
    c = complex(value.numeric() if isinstance(value, ParameterExpression) else value)
    if abs(c.imag) > 1e-12:
        raise CircuitError(f"gate angle {expr} is complex", hint=_HINT)
    return c.real


def lower_circuit(circuit: QuantumCircuit, inputs: str = "x", weights: str = "theta") -> Lowered:
    """Lower ``circuit`` to primitive gates and the linear angle map."""
    sizes = {inputs: 0, weights: 0}
    for p in circuit.parameters:
        vector = getattr(p, "vector", None)
        if vector is not None and vector.name in sizes:
            sizes[vector.name] = len(vector)
    low = Lowered(circuit.num_qubits, sizes[inputs], sizes[weights])
    _Lowerer(low, inputs, weights).run(circuit, list(range(circuit.num_qubits)))
    return low


class _Lowerer:
    def __init__(self, low: Lowered, inputs: str, weights: str) -> None:
        self.low, self.inputs, self.weights = low, inputs, weights

    def run(self, circuit: QuantumCircuit, qmap: list[int]) -> None:
        self.global_phase(circuit.global_phase)
        for inst in circuit.data:
            op = inst.operation
            qubits = tuple(qmap[circuit.find_bit(q).index] for q in inst.qubits)
            self.instruction(op, qubits)

    def angle(self, expr: Any) -> int | float:
        """Angle index of a parametrised expression, or its numeric value."""
        cx, ct, c = linear_form(expr, self.inputs, self.weights)
        if not cx and not ct:
            return c
        self.low.rows.append((cx, ct, c))
        return len(self.low.rows) - 1

    def global_phase(self, expr: Any) -> None:
        a = self.angle(expr)
        if isinstance(a, int):
            self.low.gates.append(PrimitiveGate("global_phase", (), angle=a))
        elif a != 0.0:
            self.low.gates.append(PrimitiveGate("global_phase", (), phase=a))

    def one_angle(self, name: str, expr: Any, qubits: tuple[int, ...]) -> None:
        a = self.angle(expr)
        if isinstance(a, int):
            self.low.gates.append(PrimitiveGate(name, qubits, angle=a))
        else:
            op = gate_class(name)(a)
            self.low.gates.append(
                PrimitiveGate(name, qubits, matrix=KERNELS[name].numpy_matrix(a), operation=op)
            )

    def instruction(self, op: Instruction, qubits: tuple[int, ...]) -> None:
        name = ALIASES.get(op.name, op.name)
        if name in IGNORED:
            return
        if name in NON_UNITARY or getattr(op, "blocks", None):
            raise CircuitError(
                f"{op.name!r} is not a unitary gate; the engine simulates pure states",
                hint="remove measurements, resets and control flow (the engine measures "
                "observables itself; use Aer for mid-circuit measurement)",
            )
        if name == "global_phase":
            self.global_phase(op.params[0])
        elif name in KERNELS:
            self.one_angle(name, op.params[0], qubits)
        elif name in ("u", "u3", "u2"):
            theta, phi, lam = (math.pi / 2, *op.params) if name == "u2" else op.params
            self.one_angle("p", lam, qubits)
            self.one_angle("ry", theta, qubits)
            self.one_angle("p", phi, qubits)
        elif isinstance(op, Gate) and not _symbolic(op) and _has_matrix(op):
            self.low.gates.append(
                PrimitiveGate(
                    name, qubits, matrix=np.array(op.to_matrix(), dtype=complex), operation=op
                )
            )
        elif op.definition is not None:
            self.run(op.definition, list(qubits))
        else:
            raise CircuitError(
                f"gate {op.name!r} with parameters {op.params} is not supported",
                hint=_HINT + ", or give the gate a definition in those",
            )


def gate_class(name: str) -> type:
    """Qiskit gate class of a standard gate name."""
    return type(get_standard_gate_name_mapping()[name])


def _symbolic(op: Instruction) -> bool:
    return any(isinstance(p, ParameterExpression) and p.parameters for p in op.params)


def _has_matrix(op: Gate) -> bool:
    try:
        op.to_matrix()
    except Exception:  # noqa: BLE001 - Qiskit raises several types for "no matrix"
        return False
    return True
