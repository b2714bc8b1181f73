"""Seeded random circuits of standard gates with random linear parameter expressions."""

from __future__ import annotations

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import ParameterVector
from qiskit.circuit.library import get_standard_gate_name_mapping

ONE_QUBIT = ["h", "x", "y", "z", "s", "sdg", "t", "tdg", "sx", "sxdg"]
ONE_QUBIT_PARAM = {"rx": 1, "ry": 1, "rz": 1, "p": 1, "u1": 1, "u": 3, "u3": 3, "u2": 2}
TWO_QUBIT = ["cx", "cy", "cz", "ch", "swap", "iswap", "ecr"]
TWO_QUBIT_PARAM = ["crx", "cry", "crz", "cp", "rxx", "ryy", "rzz", "rzx"]
THREE_QUBIT = ["ccx", "cswap"]


def random_circuit(
    n_qubits: int, n_gates: int, seed: int, n_inputs: int = 3, n_weights: int = 4
) -> QuantumCircuit:
    """A random circuit whose angles are random linear forms of x and theta."""
    rng = np.random.default_rng(seed)
    x = ParameterVector("x", n_inputs)
    theta = ParameterVector("theta", n_weights)
    mapping = get_standard_gate_name_mapping()
    qc = QuantumCircuit(n_qubits)

    def angle():
        kind = rng.integers(4)
        c = float(rng.normal())
        if kind == 0:
            return c
        expr = c
        for _ in range(rng.integers(1, 3)):
            vec = x if rng.random() < 0.5 else theta
            expr = expr + float(rng.normal()) * vec[int(rng.integers(len(vec)))]
        return expr

    pools = [ONE_QUBIT, list(ONE_QUBIT_PARAM)]
    if n_qubits >= 2:
        pools += [TWO_QUBIT, TWO_QUBIT_PARAM]
    if n_qubits >= 3:
        pools.append(THREE_QUBIT)
    for _ in range(n_gates):
        pool = pools[int(rng.integers(len(pools)))]
        name = pool[int(rng.integers(len(pool)))]
        gate = mapping[name]
        qubits = [int(q) for q in rng.choice(n_qubits, gate.num_qubits, replace=False)]
        params = [angle() for _ in range(len(gate.params))]
        qc.append(type(gate)(*params) if params else gate, qubits)
    qc.global_phase = angle()
    return qc


def bind(qc: QuantumCircuit, x_row, theta) -> QuantumCircuit:
    """Bind the circuit's x/theta elements to one row of inputs and the weights."""
    values = {}
    for p in qc.parameters:
        source = x_row if p.vector.name == "x" else theta
        values[p] = float(source[p.index])
    return qc.assign_parameters(values)
