"""QDoor: benign as published, backdoor active once the provider synthesises approximately."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit import ParameterVector

from qmlsec.attacks.circuit.qdoor import QDoor
from qmlsec.attacks.circuit.synthesis import grid_step, synthesise
from qmlsec.exceptions import ConfigError
from qmlsec.testing.victims import small_victim


def test_synthesis_rounds_bound_and_parameterised_angles_without_mutating():
    g = ParameterVector("g", 1)
    qc = QuantumCircuit(1)
    qc.rz(g[0], 0)
    qc.ry(0.4, 0)
    out = synthesise(qc, 2, {g[0]: 0.9})
    angles = [float(i.operation.params[0]) for i in out.assign_parameters([0.9]).data]
    assert np.allclose(angles, [np.pi / 4, np.pi / 4])
    assert float(qc.data[1].operation.params[0]) == 0.4


def test_negative_precision_is_refused():
    with pytest.raises(ConfigError):
        grid_step(-1)


def run(**params):
    victim = small_victim(n_qubits=2, layers=3, epochs=15, classes="0-1")
    attack = QDoor(victim.setup(QDoor).target, params, seed=0)
    return attack.run(victim.context(n_test=10)).metrics


def test_backdoor_is_dormant_before_and_active_after_synthesis():
    m = run(epochs=150, max_train=70, max_samples=10)
    assert m["attack_success_rate_before"] <= 0.3
    assert m["attack_success_rate_after"] >= m["attack_success_rate_before"] + 0.5
    assert m["clean_accuracy_before"] >= 0.9
    assert m["clean_accuracy_drop"] <= 0.2


@pytest.mark.slow
def test_full_size_backdoor_on_thirty_test_inputs():
    victim = small_victim(n_qubits=2, layers=3, epochs=15, classes="0-1")
    m = QDoor(victim.setup(QDoor).target, {}, seed=0).run(victim.context()).metrics
    assert m["attack_success_rate_before"] <= 0.1 and m["attack_success_rate_after"] >= 0.8
    assert m["clean_accuracy_drop"] <= 0.2
