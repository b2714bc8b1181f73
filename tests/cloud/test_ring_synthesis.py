"""CNOT rings re-synthesised on a path: the same state, nearest-neighbour CNOTs only, fewer gates."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit.library import efficient_su2
from qiskit.quantum_info import SparsePauliOp, Statevector

from qmlsec.circuits import QNNSpec
from qmlsec.cloud.backends import DeviceBackend
from qmlsec.cloud.devices import get_device
from qmlsec.cloud.layout_search import paths
from qmlsec.cloud.ring_synthesis import (
    apply_block,
    folded,
    ring_on_path,
    ring_outputs,
    ring_structure,
)
from qmlsec.cloud.transpile import transpile_circuit


def _state_on_wires(circuit: QuantumCircuit, values: np.ndarray) -> np.ndarray:
    return Statevector(circuit.assign_parameters(values)).data.reshape([2] * circuit.num_qubits)


def _check_equivalent(qc: QuantumCircuit, seed: int) -> None:
    ring = ring_on_path(qc)
    assert ring is not None
    n = qc.num_qubits
    values = np.random.default_rng(seed).uniform(-np.pi, np.pi, qc.num_parameters)
    bind = dict(zip(qc.parameters, values, strict=True))
    want = _state_on_wires(qc, bind)
    got = _state_on_wires(ring.circuit, bind)
    # wire w ends with logical qubit q where final[q] == w (axes: qubit q is axis n-1-q)
    logical = {w: q for q, w in enumerate(ring.final)}
    axes = [n - 1 - logical[n - 1 - a] for a in range(n)]
    np.testing.assert_allclose(np.transpose(want, axes), got, atol=1e-10)
    assert sorted(ring.initial) == sorted(ring.final) == list(range(n))
    for inst in ring.circuit.data:  # nearest neighbours on the path only
        if inst.operation.num_qubits == 2:
            a, b = (ring.circuit.find_bit(q).index for q in inst.qubits)
            assert abs(a - b) == 1


@pytest.mark.parametrize(("n", "layers"), list(itertools.product((4, 5, 6, 7, 8, 9), (1, 2, 3, 5))))
def test_ring_on_path_prepares_the_same_state_up_to_the_final_permutation(n, layers):
    _check_equivalent(QNNSpec(n_qubits=n, layers=layers, entanglement="ring").build(), n + layers)


def test_cnot_counts_per_block_on_a_path():
    # 2n-2 for one block (the breadth-first search's minimum for 4-6 qubits), then 2n-1
    for n in range(4, 11):
        one = ring_on_path(QNNSpec(n_qubits=n, layers=1, entanglement="ring").build())
        three = ring_on_path(QNNSpec(n_qubits=n, layers=3, entanglement="ring").build())
        assert one is not None and three is not None
        assert one.circuit.count_ops()["cx"] == 2 * n - 2
        assert three.circuit.count_ops()["cx"] == (2 * n - 2) + 2 * (2 * n - 1)
        assert "swap" not in three.circuit.count_ops()
    # past three blocks the families can run out: adjacent swaps refold, still correct
    deep = ring_on_path(QNNSpec(n_qubits=8, layers=6, entanglement="ring").build())
    assert deep is not None and deep.blocks == 6


def test_qiskit_circular_entanglement_is_a_ring_too():
    qc = efficient_su2(6, su2_gates=["ry"], entanglement="circular", reps=2)
    assert ring_structure(qc) is not None  # CX(5,0) first, then CX(0,1) ... CX(4,5)
    _check_equivalent(qc, 1)


def test_circuits_that_are_not_rings_are_left_alone():
    assert ring_on_path(QNNSpec(n_qubits=8, layers=3, entanglement="linear").build()) is None
    assert ring_on_path(QNNSpec(n_qubits=5, layers=2, entanglement="full").build()) is None
    assert ring_on_path(QNNSpec(n_qubits=3, layers=2, entanglement="ring").build()) is None
    other = QuantumCircuit(4)  # two rings in different orders
    for a, b in ((0, 1), (1, 2), (2, 3), (3, 0), (0, 2), (2, 1), (1, 3), (3, 0)):
        other.cx(a, b)
    assert ring_structure(other) is None
    measured = QNNSpec(n_qubits=4, layers=1, entanglement="ring").build()
    measured.measure_all()
    assert ring_structure(measured) is None


def test_apply_block_checks_the_gf2_map():
    n = 5
    assert ring_outputs(n) == [0b11110, 0b00011, 0b00111, 0b01111, 0b11111]
    # the ring's own CNOTs on a cycle realise it from the identity placement
    place = list(range(n))
    cycle = tuple((k, (k + 1) % n) for k in range(n))
    assert apply_block(place, cycle) == list(range(n))
    assert apply_block(place, cycle[:-1]) is None
    assert folded(8) == [0, 1, 7, 2, 6, 3, 5, 4]


def test_paths_are_simple_low_error_paths():
    dev = get_device("fake_brisbane")
    edges = {frozenset(e) for e in dev.coupling_map}
    found = paths(dev, 8)
    assert 1 <= len(found) <= 4
    for path in found:
        assert len(set(path)) == 8
        assert all(frozenset(pair) in edges for pair in itertools.pairwise(path))


@pytest.mark.parametrize("device", ["fake_guadalupe", "fake_brisbane"])
def test_the_ring_victim_routes_with_44_two_qubit_gates_and_computes_the_same_values(device):
    qc = QNNSpec(n_qubits=8, layers=3, entanglement="ring").build()
    tc = transpile_circuit(qc, get_device(device), seed=0, layout="auto")
    level0 = transpile_circuit(qc, get_device(device), optimization_level=0, seed=0)
    assert tc.report.two_qubit_gates == 44 and tc.report.swaps_added == 0
    assert len(tc.report.active_qubits) == 8
    assert tc.report.estimated_success > 1.5 * level0.report.estimated_success
    # noiseless execution on the device's qubits gives the exact values (layouts are right)
    obs = [*QNNSpec(n_qubits=8).observables(), SparsePauliOp("XIIIIIYZ")]
    values = np.random.default_rng(4).uniform(-np.pi, np.pi, (2, qc.num_parameters))
    backend = DeviceBackend(device, noise_scale=0.0, method="statevector")
    got = backend.expectations(qc, values, obs)
    want = [
        [Statevector(qc.assign_parameters(v)).expectation_value(o).real for o in obs]
        for v in values
    ]
    np.testing.assert_allclose(got, want, atol=1e-9)
    assert backend.run(qc, values, obs).transpile.two_qubit_gates == 44


def test_path_search_is_exhaustive_for_small_paths_and_bounded_for_long_ones():
    dev = get_device("fake_brisbane")
    assert paths(dev, 8) == paths(dev, 8, beam=10**9)  # the beam holds every 8-qubit path
    long = paths(dev, 40)  # a beam search: a few thousand partial paths per length
    assert len(long) == 4 and all(len(set(p)) == 40 for p in long)
    assert paths(get_device("fake_guadalupe"), 20) == []  # longer than any path there
