from __future__ import annotations

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.quantum_info import Operator, Statevector

from qmlsec.cloud.devices import get_device
from qmlsec.cloud.transpile import TranspileCache, structure_hash, transpile_circuit
from qmlsec.exceptions import BackendError, ConfigError

from .qnn_circuits import qnn


@pytest.mark.parametrize("level", [0, 1, 2, 3])
def test_transpiled_circuit_equals_original_up_to_layout(level: int) -> None:
    qc = qnn(3)
    out = transpile_circuit(qc, get_device("fake_manila"), optimization_level=level, seed=11)
    values = np.random.default_rng(level).uniform(-np.pi, np.pi, qc.num_parameters)
    bind = dict(zip(qc.parameters, values, strict=True))
    original = Statevector(qc.assign_parameters(bind))
    bound = out.circuit.assign_parameters({p: bind[p] for p in out.circuit.parameters})
    sv = Statevector(bound)
    final = list(out.report.final_layout)
    ancillas = [q for q in range(bound.num_qubits) if q not in final]
    # ancillas stay in |0>; the logical state lives on the final-layout qubits
    assert sv.probabilities(ancillas)[0] == pytest.approx(1.0, abs=1e-9)
    reduced = sv.data.reshape([2] * bound.num_qubits)
    reduced = np.moveaxis(
        reduced,
        [bound.num_qubits - 1 - q for q in final],
        range(bound.num_qubits - len(final), bound.num_qubits)[::-1],
    )
    logical = reduced.reshape(-1, 2 ** len(final))[0] if ancillas else reduced.reshape(-1)
    assert abs(np.vdot(original.data, logical)) == pytest.approx(1.0, abs=1e-8)


def test_operator_equivalence_with_layout_on_small_device() -> None:
    qc = QuantumCircuit(3)
    qc.h(0)
    qc.cx(0, 2)
    qc.ry(0.3, 1)
    qc.cx(2, 1)
    qc.cx(1, 0)
    out = transpile_circuit(qc, get_device("generic_line_3"), optimization_level=1, seed=0)
    assert Operator.from_circuit(out.circuit).equiv(Operator(qc))


def test_report_counts_swaps_and_layouts() -> None:
    qc = QuantumCircuit(3)
    qc.cx(0, 1)
    qc.cx(1, 2)
    qc.cx(2, 0)
    out = transpile_circuit(qc, get_device("generic_line_3"), optimization_level=0, seed=0)
    rep = out.report
    assert rep.swaps_added == 1
    assert rep.two_qubit_gates == 3 + 3 * rep.swaps_added
    assert sorted(rep.initial_layout) == sorted(rep.final_layout) == [0, 1, 2]
    assert rep.initial_layout != rep.final_layout
    assert rep.depth >= 4 and rep.to_dict()["swaps_added"] == 1


def test_cache_returns_same_object_and_counts_hits() -> None:
    cache = TranspileCache(maxsize=2)
    dev = get_device("fake_manila")
    a = cache.transpile(qnn(3), dev, seed=3)
    b = cache.transpile(qnn(3), dev, seed=3)  # a new but identical circuit
    assert a is b and (cache.hits, cache.misses) == (1, 1)
    cache.transpile(qnn(3), dev, seed=4)
    cache.transpile(qnn(3), dev, optimization_level=2, seed=3)
    assert len(cache) == 2 and cache.misses == 3
    assert cache.transpile(qnn(3), dev, seed=3) is not a  # evicted (LRU)


def test_structure_hash_ignores_values_but_not_structure() -> None:
    assert structure_hash(qnn(3)) == structure_hash(qnn(3))
    assert structure_hash(qnn(3)) != structure_hash(qnn(3, layers=3))


def test_transpile_errors() -> None:
    with pytest.raises(ConfigError):
        transpile_circuit(qnn(3), get_device("fake_manila"), optimization_level=4)
    with pytest.raises(BackendError):
        transpile_circuit(qnn(6), get_device("fake_manila"))


def test_initial_layout_request_in_metadata_places_the_circuit():
    from qiskit import QuantumCircuit

    from qmlsec.cloud.devices import get_device
    from qmlsec.cloud.transpile import transpile_circuit
    from qmlsec.exceptions import BackendError, ConfigError

    qc = QuantumCircuit(2, metadata={"initial_layout": [3, 4]})
    qc.cx(0, 1)
    dev = get_device("fake_manila")
    assert transpile_circuit(qc, dev).report.final_layout == (3, 4)
    plain = QuantumCircuit(2)
    plain.cx(0, 1)
    assert transpile_circuit(plain, dev).key != transpile_circuit(qc, dev).key
    with pytest.raises(ConfigError):
        transpile_circuit(QuantumCircuit(2, metadata={"initial_layout": [1, 1]}), dev)
    with pytest.raises(BackendError):
        transpile_circuit(QuantumCircuit(1, metadata={"initial_layout": [9]}), dev)
