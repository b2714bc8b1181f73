"""Provider-side identification of the QNN and recovery of its weights."""

from __future__ import annotations

import numpy as np

from qmlsec.attacks.recon.encoding_inference import EncodingInference
from qmlsec.attacks.recon.linear_recovery import recover
from qmlsec.attacks.recon.observed import circuit_features, observe_jobs, template
from qmlsec.attacks.targets import Capability, Position, Target
from qmlsec.circuits import QNNSpec
from qmlsec.testing.victims import small_victim


def test_data_angles_vary_and_weights_do_not():
    spec = QNNSpec(n_qubits=2, layers=1)
    feats = circuit_features(observe_jobs(spec, n_jobs=3, seed=0))
    assert feats[0] == 2 and feats[1] == 1.0  # two qubits, one data angle per qubit


def test_weights_and_inputs_are_recovered_exactly_for_the_true_spec():
    spec = QNNSpec(n_qubits=3, layers=2, encoding="iqp", ansatz="strongly_entangling")
    gen = np.random.default_rng(1)
    theta = gen.uniform(0, 2 * np.pi, spec.n_weights)
    x = gen.uniform(0, np.pi, (3, spec.n_circuit_inputs))
    rec = recover(template(spec), observe_jobs(spec, theta=theta, inputs=x))
    assert rec.identifiable.all() and rec.inputs_identifiable.all()
    assert np.allclose(rec.theta, theta) and np.allclose(rec.inputs, x)


def test_attack_identifies_and_steals_the_victim():
    victim = small_victim(n_qubits=2, layers=2, epochs=15, classes="0-1")
    tgt = Target(
        Position.UNTRUSTED_QUANTUM_CLOUD, frozenset({Capability.CIRCUIT_ACCESS}), model=victim.model
    )
    result = EncodingInference(tgt, {"n_train": 30, "n_test": 6}, seed=0).run(victim.context())
    m = result.metrics
    assert 0 <= m["joint_accuracy"] <= m["encoding_accuracy"] <= 1
    assert len(result.per_sample["true_encoding"]) == 6
    if m["victim_identified"] == 1.0:
        assert m["victim_weights_recovered"] == 1.0
