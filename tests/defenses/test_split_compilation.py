"""Split compilation: each provider alone identifies less; the recombined circuit is exact."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.quantum_info import Statevector, state_fidelity

from qmlsec.circuits import QNNSpec
from qmlsec.cloud.devices import get_device
from qmlsec.defenses.circuit.split_compilation import SplitCompilation

PARAMS = {"n_train": 40, "n_test": 16}


@pytest.fixture(scope="module")
def evaluation(iris_victim):
    return iris_victim.evaluate(SplitCompilation(seed=0), "recon.encoding_inference",
                                params=PARAMS)  # fmt: skip


def test_the_tail_provider_learns_less_but_the_head_provider_sees_the_encoding(evaluation):
    ev, m = evaluation, evaluation.results["with"]["metrics"]
    # measured (seed 0): whole circuit 0.69; provider A (head, holds the encoding) 0.69,
    # provider B (tail) 0.31: the headline (worst provider) is reported as "did not help"
    assert ev.metric == "encoding_accuracy" and not ev.helped
    assert m["provider_b_encoding_accuracy"] <= ev.without - 0.3
    assert max(m["provider_a_ansatz_accuracy"], m["provider_b_ansatz_accuracy"]) < 0.6


def test_split_compilation_costs_little_depth(evaluation):
    # measured: +0.5% depth (no optimisation across the cut), two compilations
    assert -0.1 < evaluation.cost.depth_overhead < 0.2
    assert evaluation.cost.extra["compilations"] == 2.0


@pytest.mark.parametrize("encoding", ["angle", "iqp", "amplitude"])
def test_recombined_circuit_is_exact(encoding):
    spec = QNNSpec.model_validate({"n_qubits": 4, "encoding": encoding, "layers": 2})
    qc = spec.build()
    values = np.random.default_rng(1).uniform(0, np.pi, qc.num_parameters)
    qc = qc.assign_parameters(values)
    defense = SplitCompilation(seed=2)
    a, b = defense.compile(qc, get_device("fake_manila").backend, seed=3)
    restored = defense.recombine(a, b)
    expected = QuantumCircuit(restored.num_qubits)
    expected.compose(qc, qubits=b.layout.final_index_layout(), inplace=True)
    fid = state_fidelity(Statevector(restored.remove_final_measurements(inplace=False)),
                         Statevector(expected))  # fmt: skip
    assert abs(fid - 1.0) < 1e-9


def test_split_parts_are_disjoint_and_pure():
    qc = QuantumCircuit(3)
    for q in range(3):
        qc.h(q)
    qc.cx(0, 1)
    before = qc.copy()
    head, tail = SplitCompilation({"cut": 0.5}).transform(qc)
    assert len(head.data) + len(tail.data) == len(qc.data) and qc == before
