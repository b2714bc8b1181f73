"""Crosstalk fault injection: identity at zero strength, decay with coupling distance."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.quantum_info import Statevector, state_fidelity

from qmlsec.attacks.hardware.crosstalk_injection import CrosstalkInjection, attacker_pair
from qmlsec.attacks.targets import Capability, Position, Target
from qmlsec.cloud.crosstalk import CrosstalkContributor, CrosstalkModel, inject_crosstalk
from qmlsec.cloud.noise import NoiseContext
from qmlsec.cloud.tenancy import CoJob
from qmlsec.exceptions import ConfigError
from qmlsec.testing.victims import small_victim

LINE = [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 6)]


def victim_circuit() -> QuantumCircuit:
    qc = QuantumCircuit(7)
    for _ in range(3):
        qc.sx(0)
        qc.sx(1)
        qc.cx(0, 1)
    return qc


def test_zero_strength_is_the_identity():
    qc = victim_circuit()
    out = inject_crosstalk(
        qc, attacker_qubits=[2, 3], coupling_map=LINE, model=CrosstalkModel(strength=0)
    )
    assert out == qc


def test_no_overlap_is_the_identity():
    qc = victim_circuit()
    late = CrosstalkModel(strength=0.5, offset=100)
    assert inject_crosstalk(qc, attacker_qubits=[2, 3], coupling_map=LINE, model=late) == qc


def test_attacker_on_victim_qubits_is_refused():
    with pytest.raises(ConfigError):
        inject_crosstalk(
            victim_circuit(), attacker_qubits=[1, 2], coupling_map=LINE, model=CrosstalkModel()
        )


def test_damage_falls_with_coupling_distance():
    qc = victim_circuit()
    ideal = Statevector(qc)
    infidelity = []
    for pair in ([2, 3], [3, 4], [4, 5], [5, 6]):
        out = inject_crosstalk(
            qc, attacker_qubits=pair, coupling_map=LINE, model=CrosstalkModel(strength=0.4)
        )
        infidelity.append(1 - state_fidelity(ideal, Statevector(out)))
    assert infidelity[0] > infidelity[1] > infidelity[2] > 0
    assert infidelity[3] == pytest.approx(0.0, abs=1e-12)


def test_contributor_adds_nothing_without_attacker_or_strength():
    ctx = NoiseContext("fake_jakarta", victim_circuit(), (0, 1), (0, 1), ())
    assert CrosstalkContributor(CrosstalkModel(strength=0.3), LINE).terms(ctx) == []
    job = CoJob("a", (2, 3), circuit=QuantumCircuit(7))
    job.circuit.cx(2, 3)
    ctx = NoiseContext("fake_jakarta", victim_circuit(), (0, 1), (0, 1), (job,))
    assert CrosstalkContributor(CrosstalkModel(strength=0.0), LINE).terms(ctx) == []
    assert len(CrosstalkContributor(CrosstalkModel(strength=0.3), LINE).terms(ctx)) == 3


def test_attacker_pair_is_at_the_requested_distance():
    assert attacker_pair({0, 1}, LINE, 7, 1) == (2, 3)
    assert attacker_pair({0, 1}, LINE, 7, 3) == (4, 5)


def test_attack_identity_at_zero_and_decay_with_distance():
    victim = small_victim(n_qubits=2, layers=2, epochs=15, classes="0-1")
    tgt = Target(Position.CO_TENANT, frozenset({Capability.CO_TENANCY}), model=victim.model)
    params = {"distances": (1, 2, 3), "strengths": (0.0, 0.8), "shots": 2000, "max_samples": 10}
    m = CrosstalkInjection(tgt, params, seed=0).run(victim.context()).metrics
    assert all(m[f"output_shift_d{d}_s0"] == 0.0 for d in (1, 2, 3))
    assert all(m[f"accuracy_d{d}_s0"] == m["baseline_accuracy"] for d in (1, 2, 3))
    shifts = [m[f"output_shift_d{d}_s0.8"] for d in (1, 2, 3)]
    assert shifts[0] > shifts[1] > shifts[2]
    assert np.isfinite(m["max_accuracy_drop"])
