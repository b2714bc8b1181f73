"""Pulse-level fault injection: no effect at factor 1, accuracy falls with amplitude error."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit.library import RXGate, RZXGate
from qiskit.quantum_info import Operator

from qmlsec.attacks.hardware.pulse_fault import PulseFaultContributor
from qmlsec.cloud.noise import NoiseContext
from qmlsec.exceptions import RequirementError
from qmlsec.testing.victims import small_victim


def _context() -> NoiseContext:
    qc = QuantumCircuit(5)
    qc.sx(1)
    qc.cx(1, 2)
    return NoiseContext("fake_manila", qc, (1, 2), (1, 2))


def test_the_contributor_adds_the_over_rotation_only_where_targeted():
    assert PulseFaultContributor(1.0, ("sx", "x", "cx")).terms(_context()) == []
    terms = PulseFaultContributor(1.2, ("sx", "cx")).terms(_context())
    assert sorted((t.instructions, t.qubits) for t in terms) == [
        (("cx",), (1, 2)), (("sx",), (1,)), (("sx",), (2,))
    ]  # fmt: skip
    sx_error = next(t for t in terms if t.instructions == ("sx",)).error
    assert Operator(sx_error.circuits[0]).equiv(RXGate(0.2 * np.pi / 2))
    cx_error = next(t for t in terms if t.instructions == ("cx",)).error
    assert Operator(cx_error.circuits[0]).equiv(RZXGate(0.2 * np.pi / 2))
    only_q2 = PulseFaultContributor(1.2, ("sx",), qubits=(2, 4)).terms(_context())
    assert [t.qubits for t in only_q2] == [(2,)]  # qubit 4 is not in the victim's job


def test_accuracy_falls_with_the_amplitude_error_and_not_at_factor_one():
    victim = small_victim()
    params = {"factors": (1.0, 1.1, 1.3, 1.5), "max_samples": 40, "shots": None}
    result = victim.setup("hardware.pulse_fault", params=params).run(0)
    m = result.metrics
    assert m["accuracy_f1"] == m["baseline_accuracy"] and m["attack_success_rate_f1"] == 0.0
    assert m["output_shift_f1"] == 0.0
    shifts = result.curves["output_shift_vs_amplitude_error"]["y"]
    assert shifts == sorted(shifts) and shifts[-1] > 0.2
    accs = result.curves["accuracy_vs_amplitude_error"]["y"]
    assert accs[-1] <= accs[1] <= accs[0] and m["accuracy_drop_f1.5"] >= 0.3
    est = result.estimates()["attack_success_rate_f1.5"]
    assert est.n == 40 and est.ci[0] > 0.15
    assert result.provides == ["goal.integrity_lost"]


def test_two_qubit_cross_resonance_fault_shifts_the_outputs():
    victim = small_victim()
    params = {"factors": (1.0, 1.4), "gates": ["cx"], "max_samples": 10, "shots": None,
              "noisy": False}  # fmt: skip
    m = victim.setup("hardware.pulse_fault", params=params).run(0).metrics
    assert m["output_shift_f1"] == 0.0 and m["output_shift_f1.4"] > 0.01
    assert np.isfinite(m["max_accuracy_drop"])


def test_an_insider_injects_the_same_fault_whatever_the_provider_trust():
    victim = small_victim()
    params = {"factors": (1.0, 1.5), "max_samples": 10, "shots": None}
    deployment = victim.deployment(quantum={"trust": "honest-but-curious"})
    insider = victim.setup("hardware.insider_pulse_fault", params=params, deployment=deployment)
    assert insider.target.position.value == "physical_insider"
    with pytest.raises(RequirementError, match="honest-but-curious"):
        victim.setup("hardware.pulse_fault", params=params, deployment=deployment)
    provider = victim.setup("hardware.pulse_fault", params=params)
    assert insider.run(0).metrics == provider.run(0).metrics
