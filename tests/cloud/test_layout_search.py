"""Noise-aware layout: ESP scoring, regions, and a choice that is correct and reproducible."""

from __future__ import annotations

import networkx as nx
import numpy as np
from qiskit import QuantumCircuit
from qiskit.quantum_info import SparsePauliOp, Statevector

from qmlsec.circuits import QNNSpec
from qmlsec.cloud.backends import DeviceBackend
from qmlsec.cloud.devices import get_device
from qmlsec.cloud.layout_search import Candidate, estimated_success, measurably_better, regions
from qmlsec.cloud.transpile import AUTO_MARGIN, TranspileCache, transpile_circuit

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


def test_auto_moves_a_badly_routed_circuit_and_keeps_a_well_placed_one():
    dev = get_device("fake_guadalupe")
    preset = transpile_circuit(RING, dev, optimization_level=0, seed=3).report
    auto = transpile_circuit(RING, dev, optimization_level=0, seed=3, layout="auto").report
    searched = transpile_circuit(RING, dev, optimization_level=0, seed=3, layout="noise_aware")
    # the ring at level 0: the search wins by far more than the margin, so auto takes it
    assert auto.estimated_success >= (1 + AUTO_MARGIN) * preset.estimated_success
    assert auto.initial_layout == searched.report.initial_layout
    assert auto.two_qubit_gates < preset.two_qubit_gates and len(auto.active_qubits) == 8
    # two qubits on fake_manila: the preset pair is within the margin, so it stays
    small = QNNSpec(n_qubits=2, layers=2).build()
    manila = get_device("fake_manila")
    kept = transpile_circuit(small, manila, seed=0, layout="auto")
    base = transpile_circuit(small, manila, seed=0)
    assert kept.circuit == base.circuit
    assert kept.report.initial_layout == base.report.initial_layout
    assert kept.report.layout == "auto" and kept.key != base.key


def test_measurably_better_needs_the_margin_and_accepts_dropping_ancillas():
    def cand(esp: float, active: int) -> Candidate:
        return Candidate(QuantumCircuit(1), (), (), tuple(range(active)), esp, 0, "x")

    assert measurably_better(cand(0.45, 8), cand(0.40, 8), 8, 0.1)
    assert not measurably_better(cand(0.43, 8), cand(0.40, 8), 8, 0.1)
    assert measurably_better(cand(0.50, 8), cand(0.55, 12), 8, 0.1)  # -9%, 4 qubits fewer
    assert not measurably_better(cand(0.49, 8), cand(0.55, 12), 8, 0.1)
    same = cand(0.9, 8)
    assert not measurably_better(same, same, 8, 0.1)


def test_device_backends_default_to_auto():
    assert DeviceBackend("fake_manila", noise_scale=0.0).layout == "auto"


def test_kept_pass_managers_transpile_as_fresh_ones():
    """A preset pass manager is built once per thread and settings; its output does not
    depend on what it transpiled before (seeded layout and routing)."""
    from qiskit.transpiler import generate_preset_pass_manager

    from qmlsec.cloud.layout_search import preset_pass_manager

    dev = get_device("fake_guadalupe")
    qc = QNNSpec(n_qubits=6, layers=2, entanglement="ring").build()
    other = QNNSpec(n_qubits=5, layers=3).build()
    pm = preset_pass_manager(dev, 2, 11)
    assert preset_pass_manager(dev, 2, 11) is pm and preset_pass_manager(dev, 2, 12) is not pm
    first = pm.run(qc)
    pm.run(other)
    fresh = generate_preset_pass_manager(
        optimization_level=2, backend=dev.backend, seed_transpiler=11
    )
    assert pm.run(qc) == first == fresh.run(qc)
    assert pm.run(qc).layout.final_index_layout() == fresh.run(qc).layout.final_index_layout()
