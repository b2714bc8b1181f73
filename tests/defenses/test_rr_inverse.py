"""Random reversible obfuscation: exact restoration, a far-off obfuscated circuit, cost."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import QuantumCircuit, transpile
from qiskit.circuit.library import real_amplitudes
from qiskit.quantum_info import Statevector, state_fidelity
from qiskit.transpiler import CouplingMap

from qmlsec.defenses.circuit.rr_inverse import RRInverse

BASIS = ["rz", "sx", "x", "cx"]


def victim_circuit(seed: int) -> QuantumCircuit:
    qc = real_amplitudes(4, reps=2)
    values = np.random.default_rng(seed).uniform(0, 2 * np.pi, qc.num_parameters)
    return qc.assign_parameters(values).decompose()


@pytest.mark.parametrize("seed", range(5))
def test_restored_circuit_has_fidelity_one(seed):
    qc = victim_circuit(seed)
    defense = RRInverse({"gates": 6}, seed=seed)
    record = defense.transform(qc)
    compiled = transpile(record.obfuscated, basis_gates=BASIS, optimization_level=3,
                         seed_transpiler=seed)  # fmt: skip
    restored = defense.restore(compiled, record)
    assert abs(state_fidelity(Statevector(restored), Statevector(qc)) - 1.0) < 1e-9


def test_restoration_follows_the_compilers_layout():
    qc = victim_circuit(7)
    defense = RRInverse({"gates": 8}, seed=7)
    record = defense.transform(qc)
    compiled = transpile(record.obfuscated, basis_gates=BASIS, optimization_level=3,
                         coupling_map=CouplingMap.from_line(6), seed_transpiler=3)  # fmt: skip
    restored = defense.restore(compiled, record)
    expected = QuantumCircuit(compiled.num_qubits)
    expected.compose(qc, qubits=compiled.layout.final_index_layout(), inplace=True)
    assert abs(state_fidelity(Statevector(restored), Statevector(expected)) - 1.0) < 1e-9


def test_obfuscated_circuit_alone_is_far_from_the_original_and_costs_depth():
    tvds, overheads, fids = [], [], []
    for seed in range(5):
        qc = victim_circuit(seed)
        record = RRInverse({"gates": 6}, seed=seed).transform(qc)
        p, q = Statevector(qc).probabilities(), Statevector(record.obfuscated).probabilities()
        tvds.append(0.5 * np.abs(p - q).sum())
        fids.append(state_fidelity(Statevector(record.obfuscated), Statevector(qc)))
        overheads.append(record.obfuscated.depth() / qc.depth() - 1)
    assert np.mean(tvds) > 0.3 and np.mean(fids) < 0.5 and max(fids) < 0.9
    assert 0 < np.mean(overheads) < 2.0


def test_transform_is_pure_and_seeded():
    qc = victim_circuit(0)
    before = qc.copy()
    a = RRInverse(seed=1).transform(qc)
    b = RRInverse(seed=1).transform(qc)
    assert qc == before
    assert a.obfuscated == b.obfuscated
