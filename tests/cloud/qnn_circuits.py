"""Small QNN circuits for the cloud tests."""

from __future__ import annotations

from qiskit import QuantumCircuit
from qiskit.circuit import ParameterVector
from qiskit.quantum_info import SparsePauliOp


def qnn(n: int, layers: int = 2) -> QuantumCircuit:
    """H + RZ(x) encoding, RY/RZ layers and a CNOT ring."""
    x = ParameterVector("x", n)
    theta = ParameterVector("theta", 2 * n * layers)
    qc = QuantumCircuit(n)
    for i in range(n):
        qc.h(i)
        qc.rz(x[i], i)
    k = 0
    for _ in range(layers):
        for i in range(n):
            qc.ry(theta[k], i)
            qc.rz(theta[k + 1], i)
            k += 2
        for i in range(n):
            qc.cx(i, (i + 1) % n)
    return qc


def z_observables(n: int) -> list[SparsePauliOp]:
    return [SparsePauliOp("I" * (n - 1 - i) + "Z" + "I" * i) for i in range(n)]
