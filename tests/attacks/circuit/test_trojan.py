"""Transpiler trojans: identity at zero gates, depth preserved, dormant unless triggered."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import QuantumCircuit, transpile

from qmlsec.attacks.circuit.insertion import (
    TriggerCondition,
    TrojanInsertion,
    depth_gaps,
    run_trojan,
)
from qmlsec.attacks.circuit.qupt import DormantTrojan
from qmlsec.attacks.circuit.trojan import CompilerTrojan
from qmlsec.attacks.targets import Capability, Position, Target
from qmlsec.cloud.devices import get_device
from qmlsec.exceptions import ConfigError
from qmlsec.testing.victims import small_victim


@pytest.fixture(scope="module")
def physical():
    qc = QuantumCircuit(3)
    qc.h(0)
    qc.rz(0.7, 0)
    qc.cx(0, 1)
    qc.cx(1, 2)
    qc.ry(0.3, 2)
    qc.cx(0, 2)
    qc.measure_all()
    return transpile(qc, get_device("fake_manila").backend, optimization_level=1, seed_transpiler=0)


def test_zero_gates_is_the_identity(physical):
    assert run_trojan(physical, TrojanInsertion("x", 0)) == physical


@pytest.mark.parametrize("gate", ["x", "h"])
def test_insertion_preserves_depth(physical, gate):
    count = len(depth_gaps(physical))
    out = run_trojan(physical, TrojanInsertion(gate, count, seed=1))
    assert out.depth() == physical.depth()
    assert out.count_ops()[gate] == count - physical.count_ops().get(
        gate, 0
    ) + physical.count_ops().get(gate, 0)


def test_dormant_trojan_fires_only_in_its_window(physical):
    angle = TriggerCondition(0, 0).angle(physical)
    assert angle is not None
    hit = TriggerCondition(0, 0, angle - 0.01, angle + 0.01)
    miss = TriggerCondition(0, 0, (angle + 1) % (2 * np.pi), (angle + 1) % (2 * np.pi) + 0.01)
    assert run_trojan(physical, TrojanInsertion("x", 1, trigger=miss)) == physical
    assert run_trojan(physical, TrojanInsertion("x", 1, trigger=hit)) != physical


def test_unknown_gate_is_refused():
    with pytest.raises(ConfigError):
        TrojanInsertion("cx", 1)


def tgt(model):
    return Target(Position.SUPPLY_CHAIN, frozenset({Capability.TRANSPILER_CONTROL}), model=model)


def test_compiler_trojan_attack_degrades_without_changing_depth():
    victim = small_victim(n_qubits=3, layers=2, epochs=15, classes="0-1")
    params = {"counts": (0, 1, 2), "max_samples": 12, "shots": 512}
    m = CompilerTrojan(tgt(victim.model), params, seed=0).run(victim.context()).metrics
    assert m["accuracy_drop_0"] == 0.0 and m["attack_success_rate_0"] == 0.0
    assert all(m[f"depth_change_{c}"] == 0.0 for c in (0, 1, 2))
    assert m["gates_inserted_0"] == 0.0 and m["gates_inserted_2"] > 0
    assert m["max_accuracy_drop"] > 0


def test_dormant_trojan_attack_leaves_untriggered_inputs_alone():
    victim = small_victim(n_qubits=2, layers=2, epochs=15, classes="0-1")
    params = {"max_samples": 15, "shots": 512, "trigger_fraction": 0.4}
    m = DormantTrojan(tgt(victim.model), params, seed=0).run(victim.context()).metrics
    assert m["untriggered_unchanged"] == 1.0
    assert m["untriggered_accuracy_after"] == m["untriggered_accuracy_before"]
    assert 0 < m["triggered_fraction"] < 1
    assert m["max_depth_change"] == 0.0
