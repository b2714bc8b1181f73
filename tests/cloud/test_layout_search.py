"""Noise-aware layout: ESP scoring, regions, and a choice that is correct and reproducible."""

from __future__ import annotations

import networkx as nx
import numpy as np
from qiskit import QuantumCircuit
from qiskit.quantum_info import SparsePauliOp, Statevector

from qmlsec.circuits import QNNSpec
from qmlsec.cloud.backends import DeviceBackend
from qmlsec.cloud.devices import get_device
from qmlsec.cloud.layout_search import estimated_success, regions
from qmlsec.cloud.transpile import TranspileCache, transpile_circuit

RING = QNNSpec(n_qubits=8, layers=3, entanglement="ring").build()


def test_esp_is_the_product_of_calibrated_successes():
    target = get_device("fake_guadalupe").backend.target
    qc = QuantumCircuit(16)
    qc.sx(3)
    qc.cx(1, 2)
    qc.rz(0.3, 2)  # virtual: no error
    expected = (
        (1 - target["sx"][(3,)].error)
        * (1 - target["cx"][(1, 2)].error)
        * (1 - target["measure"][(1,)].error)
        * (1 - target["measure"][(2,)].error)
    )
    assert np.isclose(estimated_success(qc, target, (1, 2)), expected, rtol=1e-12)


def test_regions_are_connected_sets_of_the_requested_size():
    dev = get_device("fake_guadalupe")
    graph = nx.Graph(list(dev.coupling_map))
    found = regions(dev, 8)
    assert 1 <= len(found) <= 4 and len(set(found)) == len(found)
    for region in found:
        assert len(set(region)) == 8
        assert nx.is_connected(graph.subgraph(region))


def test_noise_aware_beats_level_zero_without_ancillas_and_is_deterministic():
    dev = get_device("fake_guadalupe")
    base = transpile_circuit(RING, dev, optimization_level=0, seed=3)
    one = transpile_circuit(RING, dev, optimization_level=0, seed=3, layout="noise_aware")
    two = transpile_circuit(RING, dev, optimization_level=0, seed=3, layout="noise_aware")
    assert len(one.report.active_qubits) == 8
    assert one.report.two_qubit_gates < base.report.two_qubit_gates
    assert one.report.estimated_success > base.report.estimated_success
    assert one.report.to_dict() == two.report.to_dict()
    assert one.circuit == two.circuit
    assert one.report.layout == "noise_aware" and one.key != base.key


def test_cache_keeps_strategies_apart():
    cache, dev = TranspileCache(), get_device("fake_manila")
    qc = QNNSpec(n_qubits=3, layers=1).build()
    a = cache.transpile(qc, dev, seed=1)
    b = cache.transpile(qc, dev, seed=1, layout="noise_aware")
    assert a is not b and cache.misses == 2
    assert cache.transpile(qc, dev, seed=1, layout="noise_aware") is b


def test_noise_aware_circuits_compute_the_same_expectations():
    qc = QNNSpec(n_qubits=5, layers=2, entanglement="ring").build()
    obs = [SparsePauliOp("I" * (4 - q) + "Z" + "I" * q) for q in range(5)] + [
        SparsePauliOp("XXIIY")
    ]
    values = np.random.default_rng(0).uniform(-np.pi, np.pi, (3, qc.num_parameters))
    backend = DeviceBackend(
        "fake_guadalupe", noise_scale=0.0, method="statevector", layout="noise_aware"
    )
    got = backend.expectations(qc, values, obs)
    want = [
        [Statevector(qc.assign_parameters(v)).expectation_value(o).real for o in obs]
        for v in values
    ]
    np.testing.assert_allclose(got, want, atol=1e-9)
