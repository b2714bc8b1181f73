"""Trojan check: the executed circuit must be equivalent to the submitted one."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import QuantumCircuit, transpile
from qiskit.circuit import ParameterVector

from qmlsec.defenses.detector.trojan_check import TrojanCheck
from qmlsec.exceptions import CircuitError


def qnn_like() -> QuantumCircuit:
    x, theta = ParameterVector("x", 3), ParameterVector("theta", 3)
    qc = QuantumCircuit(3)
    for q in range(3):
        qc.ry(x[q], q)
    qc.cx(0, 1)
    qc.cx(1, 2)
    for q in range(3):
        qc.rz(theta[q], q)
    return qc


def test_one_inserted_x_is_flagged_and_the_clean_circuit_passes():
    check = TrojanCheck(seed=0)
    clean = qnn_like()
    bad = clean.copy()
    bad.x(2)
    values = np.linspace(0.1, 0.6, 6)
    assert check.check(clean, clean.copy(), values, tampered=False) is None
    alert = check.check(clean, bad, values, tampered=True)
    assert alert is not None and alert.detector == "trojan_check"
    rates = check.rates()
    assert rates["detection_rate"].value == 1.0 and rates["false_positive_rate"].value == 0.0


def test_an_honest_optimising_compiler_is_not_flagged():
    clean = qnn_like()
    compiled = transpile(clean, basis_gates=["rz", "sx", "x", "cx"], optimization_level=2,
                         seed_transpiler=0)  # fmt: skip
    assert TrojanCheck().equivalent(clean, compiled, np.full(6, 0.3))


def test_a_gate_invisible_from_zero_is_still_caught():
    clean = QuantumCircuit(2)
    clean.h(0)
    clean.cx(0, 1)
    bad = QuantumCircuit(2)
    bad.z(1)  # leaves |00> unchanged, so a statevector check from |0> would miss it
    bad.compose(clean, inplace=True)
    assert not TrojanCheck().equivalent(clean, bad)


def test_circuits_too_wide_for_unitaries_are_refused():
    with pytest.raises(CircuitError):
        TrojanCheck({"max_qubits": 2}).equivalent(QuantumCircuit(3), QuantumCircuit(3))


def test_trojan_jobs_are_caught_and_rerun(iris_victim):
    params = {"counts": [0, 2], "max_samples": 6, "shots": 256}
    ev = iris_victim.evaluate(TrojanCheck(seed=0), "circuit.trojan", n_test=10, params=params)
    m = ev.results["with"]["metrics"]
    assert m["trojan_check_detection_rate"] == 1.0
    assert m["trojan_check_false_positive_rate"] == 0.0
    assert ev.with_defense == 0.0
    assert ev.cost.extra["detected"] == 1.0
