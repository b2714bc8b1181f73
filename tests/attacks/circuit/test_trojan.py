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
    result = DormantTrojan(tgt(victim.model), params, seed=0).run(victim.context())
    m = result.metrics
    assert m["untriggered_unchanged"] == 1.0
    assert m["untriggered_accuracy_after"] == m["untriggered_accuracy_before"]
    assert 0 < m["triggered_fraction"] < 1
    assert m["max_depth_change"] == 0.0
    # each rate's interval is over its own subset (6 of 15 triggered), even at 0 or 1
    triggered = sum(result.per_sample["triggered"])
    intervals = result.estimates()
    assert intervals["untriggered_unchanged"].n == 15 - triggered
    assert intervals["triggered_accuracy_after"].n == triggered
    correct = sum(t and c == y for t, c, y in zip(result.per_sample["triggered"],
                  result.per_sample["clean_prediction"], result.per_sample["label"], strict=True))  # fmt: skip
    assert intervals["attack_success_rate"].n == correct


def _on_wire(circuit: QuantumCircuit, q: int) -> list[str]:
    """Names of the operations touching physical qubit ``q``, in order."""
    return [i.operation.name for i in circuit.data
            if q in {circuit.find_bit(b).index for b in i.qubits}]  # fmt: skip


def _measured_bits(circuit: QuantumCircuit) -> str:
    from qiskit.quantum_info import Statevector

    body = circuit.remove_final_measurements(inplace=False)
    probs = Statevector(body).probabilities_dict()
    return max(probs, key=probs.get)


def test_pre_measure_x_on_a_wire_flips_exactly_that_output_bit():
    qc = QuantumCircuit(3)
    qc.x(0)
    qc.measure_all()
    out = run_trojan(qc, TrojanInsertion("x", 1, wire=2, position="pre_measure"))
    assert _measured_bits(qc) == "001" and _measured_bits(out) == "101"
    # the gate sits right before wire 2's measurement, after the final barrier
    assert _on_wire(out, 2)[-3:] == ["barrier", "x", "measure"]
    assert _on_wire(out, 1) == _on_wire(qc, 1)


def test_pre_measure_on_an_unmeasured_circuit_appends_on_the_wire():
    qc = QuantumCircuit(2)
    qc.h(0)
    qc.cx(0, 1)
    out = run_trojan(qc, TrojanInsertion("z", 1, wire=1, position="pre_measure"))
    last = out.data[-1]
    assert last.operation.name == "z" and out.find_bit(last.qubits[0]).index == 1


def test_pre_measure_follows_the_final_layout_of_a_transpiled_circuit(physical):
    out = run_trojan(physical, TrojanInsertion("x", 1, wire=1, position="pre_measure"))
    q = physical.layout.final_index_layout()[1]
    assert _on_wire(out, q)[-2:] == ["x", "measure"]
    assert out.count_ops()["x"] == physical.count_ops().get("x", 0) + 1


def test_gap_insertion_on_a_wire_only_touches_that_wire(physical):
    wire = 2
    q = physical.layout.initial_index_layout()[wire]
    out = run_trojan(physical, TrojanInsertion("h", 5, seed=0, wire=wire))
    assert out.count_ops().get("h", 0) > physical.count_ops().get("h", 0)
    for other in range(physical.num_qubits):
        if other != q:
            assert _on_wire(out, other) == _on_wire(physical, other)
    assert _on_wire(out, q).count("h") > _on_wire(physical, q).count("h")
    assert out.depth() == physical.depth()


def test_start_position_puts_the_gate_ahead_of_the_wire():
    qc = QuantumCircuit(2)
    qc.ry(0.4, 0)
    qc.ry(0.4, 1)
    out = run_trojan(qc, TrojanInsertion("x", 1, wire=1, position="start"))
    assert _on_wire(out, 1) == ["x", "ry"] and _on_wire(out, 0) == ["ry"]


def test_a_wire_outside_the_circuit_and_unknown_positions_are_refused():
    with pytest.raises(ConfigError, match="wire"):
        run_trojan(QuantumCircuit(2), TrojanInsertion("x", 1, wire=5, position="start"))
    with pytest.raises(ConfigError, match="position"):
        TrojanInsertion("x", 1, position="middle")


def test_readout_wire_trojan_attack_flips_predictions():
    victim = small_victim(n_qubits=3, layers=2, epochs=15, classes="0-1")
    params = {"counts": (0, 1), "max_samples": 12, "shots": 512, "position": "pre_measure",
              "wire": 0, "gate": "x"}  # fmt: skip
    result = CompilerTrojan(tgt(victim.model), params, seed=0).run(victim.context())
    m = result.metrics
    assert m["attack_success_rate_0"] == 0.0 and m["gates_inserted_1"] == 1.0
    assert m["attack_success_rate_1"] > 0
    assert result.params["position"] == "pre_measure" and result.params["wire"] == 0
