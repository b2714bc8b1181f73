"""Provider-side identification of the QNN and recovery of its weights."""

from __future__ import annotations

import numpy as np

from qmlsec.attacks.recon.encoding_inference import EncodingInference
from qmlsec.attacks.recon.linear_recovery import recover
from qmlsec.attacks.recon.observed import circuit_features, observe_jobs, template
from qmlsec.attacks.targets import Capability, Position, Target
from qmlsec.circuits import QNNSpec
from qmlsec.cloud.providers.hooks import CircuitTransformHook
from qmlsec.defenses.circuit.encoding_obfuscation import EncodingObfuscation
from qmlsec.testing.clouds import recording_cloud
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
    # the submitted circuit is matched exactly, so the victim is always identified
    assert m["victim_identified"] == 1.0 and m["victim_weights_recovered"] == 1.0


def test_victim_is_identified_from_the_jobs_the_cloud_ran():
    victim = small_victim(n_qubits=2, layers=2, epochs=15, classes="0-1")
    spec = victim.model.model_.spec
    features, ops = {}, {}
    obfuscation = EncodingObfuscation(seed=0)
    for name, hooks in (
        ("plain", []),
        ("obfuscated", [CircuitTransformHook([obfuscation.transform])]),
    ):
        cloud = recording_cloud("fake_manila", *hooks)
        cost = cloud.cost
        tgt = Target(Position.UNTRUSTED_QUANTUM_CLOUD, frozenset({Capability.CIRCUIT_ACCESS}),
                     model=victim.model, cloud=cloud)  # fmt: skip
        attack = EncodingInference(tgt, {"n_jobs": 3}, seed=0)
        observed = attack.observe_victim(victim.x_test[:3])
        assert cost.total().jobs == 3 and cost.total().circuits == 3
        assert [j.result.job_id for j in observed.jobs] == [r.job_id for r in cloud.history]
        jobs = observed.bound()
        features[name], ops[name] = circuit_features(jobs), jobs[0].count_ops()
        # the angle rows the provider received give the trained weights exactly
        theta = attack.solve_weights(observed, spec)
        assert np.allclose(theta, victim.model.model_.theta.detach().numpy(), atol=1e-6)
    # the provider's obfuscating transform is in what the classifier sees
    assert ops["obfuscated"]["cx"] > ops["plain"]["cx"]
    assert not np.allclose(features["plain"], features["obfuscated"])


def test_architecture_match_is_exact_for_every_ansatz_and_entanglement():
    from qmlsec.attacks.recon.architecture_match import gate_signature, match_architecture
    from qmlsec.circuits import QNNSpec

    for ansatz in ("hardware_efficient", "strongly_entangling", "real_amplitudes"):
        for ent in ("linear", "full"):
            spec = QNNSpec(n_qubits=4, layers=2, ansatz=ansatz, entanglement=ent, rotation="Y")
            found = match_architecture(spec.build(), layers=(1, 2, 3))
            assert found, (ansatz, ent)
            assert all(gate_signature(s.build()) == gate_signature(spec.build()) for s in found)
