"""Small QNN circuits for the cloud tests: the package's own default QNN."""

from __future__ import annotations

from qiskit import QuantumCircuit
from qiskit.quantum_info import SparsePauliOp

from qmlsec.circuits import QNNSpec


def qnn(n: int, layers: int = 2) -> QuantumCircuit:
    """H + RZ(x) encoding, RY/RZ layers and a CNOT ring (``QNNSpec`` defaults)."""
    return QNNSpec(n_qubits=n, layers=layers).build()


def z_observables(n: int) -> list[SparsePauliOp]:
    return QNNSpec(n_qubits=n).observables()
