"""Trainable ansatzes: hardware-efficient, StronglyEntanglingLayers, BasicEntanglerLayers
and Qiskit's n-local family (``real_amplitudes``, ``efficient_su2``).

Every builder takes the weight vector ``theta`` and an ``offset`` into it, and returns a
circuit together with the number of weights it consumed, so ansatz blocks can be stacked
(data re-uploading) on one shared ``theta``.

Example:
    >>> from qiskit.circuit import ParameterVector
    >>> theta = ParameterVector("theta", ansatz_weights("hardware_efficient", 3, 2))
    >>> qc, used = build_ansatz("hardware_efficient", 3, 2, "ring", theta)
    >>> used, qc.count_ops()["cx"]
    (12, 6)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from qiskit import QuantumCircuit
from qiskit.circuit import ParameterExpression
from qiskit.circuit.library import efficient_su2, real_amplitudes

from qmlsec.circuits.entanglement import QISKIT_ENTANGLEMENT, entangling_pairs
from qmlsec.exceptions import ConfigError

Weights = Sequence[ParameterExpression]


def hardware_efficient(
    n: int, layers: int, entanglement: str, theta: Weights, offset: int = 0
) -> QuantumCircuit:
    """Hardware-efficient ansatz: per layer RY then RZ on every qubit, then CNOTs.

    Weights per layer: ``2 n`` (``theta[offset + 2 n l + q]`` for RY on qubit ``q``,
    ``theta[offset + 2 n l + n + q]`` for RZ).
    """
    qc = QuantumCircuit(n, name="hardware_efficient")
    k = offset
    for _ in range(layers):
        for q in range(n):
            qc.ry(theta[k + q], q)
        for q in range(n):
            qc.rz(theta[k + n + q], q)
        k += 2 * n
        for c, t in entangling_pairs(n, entanglement):
            qc.cx(c, t)
    return qc


def strongly_entangling(
    n: int, layers: int, entanglement: str, theta: Weights, offset: int = 0
) -> QuantumCircuit:
    """PennyLane ``StronglyEntanglingLayers``: Rot(phi, theta, omega) per qubit, then
    CNOT(i, i + r mod n) with range ``r = l mod (n - 1) + 1`` in layer ``l``.

    ``Rot(phi, theta, omega) = RZ(omega) RY(theta) RZ(phi)``; ``entanglement`` is not used
    (the ranges are the template's). Weights per layer: ``3 n``.
    """
    qc = QuantumCircuit(n, name="strongly_entangling")
    k = offset
    for layer in range(layers):
        for q in range(n):
            qc.rz(theta[k], q)
            qc.ry(theta[k + 1], q)
            qc.rz(theta[k + 2], q)
            k += 3
        if n > 1:
            r = layer % (n - 1) + 1
            for q in range(n):
                qc.cx(q, (q + r) % n)
    return qc


def basic_entangler(
    n: int, layers: int, entanglement: str, theta: Weights, offset: int = 0
) -> QuantumCircuit:
    """PennyLane ``BasicEntanglerLayers``: RX on every qubit, then CNOTs.

    Weights per layer: ``n``.
    """
    qc = QuantumCircuit(n, name="basic_entangler")
    k = offset
    for _ in range(layers):
        for q in range(n):
            qc.rx(theta[k + q], q)
        k += n
        for c, t in entangling_pairs(n, entanglement):
            qc.cx(c, t)
    return qc


def _n_local(factory: Callable[..., QuantumCircuit]) -> Callable[..., QuantumCircuit]:
    def build(
        n: int, layers: int, entanglement: str, theta: Weights, offset: int = 0
    ) -> QuantumCircuit:
        qc = factory(n, reps=layers, entanglement=QISKIT_ENTANGLEMENT[entanglement])
        own = list(qc.parameters)  # qiskit sorts vector elements by index
        return qc.assign_parameters({p: theta[offset + i] for i, p in enumerate(own)})

    build.__doc__ = f"Qiskit ``{factory.__name__}`` with its parameters mapped onto theta."
    return build


ANSATZES: dict[str, Callable[..., QuantumCircuit]] = {
    "hardware_efficient": hardware_efficient,
    "strongly_entangling": strongly_entangling,
    "basic_entangler": basic_entangler,
    "real_amplitudes": _n_local(real_amplitudes),
    "efficient_su2": _n_local(efficient_su2),
}


def ansatz_weights(kind: str, n: int, layers: int) -> int:
    """Number of weights of ansatz ``kind`` on ``n`` qubits with ``layers`` layers.

    Example:
        >>> ansatz_weights("real_amplitudes", 3, 2)
        9
    """
    per_layer = {"hardware_efficient": 2 * n, "strongly_entangling": 3 * n, "basic_entangler": n}
    if kind in per_layer:
        return per_layer[kind] * layers
    if kind == "real_amplitudes":
        return n * (layers + 1)
    if kind == "efficient_su2":
        return 2 * n * (layers + 1)
    raise ConfigError(f"unknown ansatz {kind!r}", hint=f"use one of {sorted(ANSATZES)}")


def build_ansatz(
    kind: str, n: int, layers: int, entanglement: str, theta: Weights, offset: int = 0
) -> tuple[QuantumCircuit, int]:
    """Build ansatz ``kind`` on weights ``theta[offset:]``.

    Returns:
        The circuit and the number of weights it uses.
    """
    used = ansatz_weights(kind, n, layers)
    if offset + used > len(theta):
        raise ConfigError(f"ansatz needs {used} weights from offset {offset}, theta too short")
    return ANSATZES[kind](n, layers, entanglement, theta, offset), used
