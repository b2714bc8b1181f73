"""Provider theft: architecture identified from transpiled jobs, weights solved exactly."""

from __future__ import annotations

import numpy as np
import pytest

from qmlsec.attacks.extraction.provider_theft import ProviderTheft
from qmlsec.attacks.inference.state_prep_theft import circuit_inputs
from qmlsec.attacks.recon.linear_recovery import recover
from qmlsec.attacks.recon.observed import observe_jobs, template
from qmlsec.testing.victims import small_victim


@pytest.fixture(scope="module")
def victim():
    return small_victim(n_qubits=2, layers=2, epochs=15, classes="0-1")


@pytest.fixture(scope="module")
def result(victim):
    attack = ProviderTheft(victim.setup(ProviderTheft).target, {}, seed=0)
    return attack.run(victim.context(n_test=8))


def test_identification_is_well_above_chance_on_held_out_specs(result):
    m = result.metrics
    assert m["encoding_accuracy"] >= 0.75  # chance 0.25
    assert m["ansatz_accuracy"] >= 0.6  # chance 0.20
    assert m["layers_accuracy"] >= 0.8  # chance 0.33
    assert m["joint_accuracy"] >= 0.5  # chance 0.017
    assert len(result.per_sample["true_ansatz"]) == 60


def test_identified_victim_weights_are_recovered_exactly(victim):
    spec = victim.model.model_.spec
    theta = victim.model.model_.theta.detach().numpy()
    jobs = observe_jobs(spec, theta=theta, inputs=circuit_inputs(victim.model, victim.x_test[:4]))
    rec = recover(template(spec), jobs)
    assert rec.identifiable.any() and rec.residual < 1e-8
    assert np.allclose(rec.theta[rec.identifiable], theta[rec.identifiable], atol=1e-6)


def test_victim_matched_from_its_submitted_circuit_and_weights_solved(victim, result):
    m = result.metrics
    assert m["victim_identified"] == 1.0
    assert m["victim_weights_recovered"] == 1.0
    stolen = result.outputs["stolen_spec"]
    truth = victim.model.model_.spec
    assert (stolen.ansatz, stolen.layers, stolen.rotation) == (
        truth.ansatz,
        truth.layers,
        truth.rotation,
    )
    assert np.allclose(result.outputs["stolen_theta"], victim.model.model_.theta.detach().numpy())


def test_architecture_match_rejects_circuits_outside_the_family():
    from qiskit import QuantumCircuit
    from qiskit.circuit import Parameter

    from qmlsec.attacks.recon.architecture_match import match_architecture

    qc = QuantumCircuit(2)
    qc.rx(Parameter("a"), 0)
    qc.cz(0, 1)
    assert match_architecture(qc) == []


# --- the architecture handed on by an earlier stage --------------------------------

QUICK = {"n_train": 20, "n_test": 4}


def _with_facts(setup, *facts):
    import dataclasses

    from qmlsec.attacks.facts import Facts

    return setup.replace(ctx=dataclasses.replace(setup.ctx, facts=Facts(facts)))


def test_a_spec_from_an_earlier_stage_is_used_as_it_is(victim):
    from qmlsec.attacks.facts import KnownArchitecture

    handed = KnownArchitecture(spec=victim.model.spec())
    setup = _with_facts(victim.setup(ProviderTheft, n_test=8), handed)
    result = setup.run(0)
    assert result.metrics["architecture_from_fact"] == 1.0
    assert "encoding_accuracy" not in result.metrics  # nothing identified here
    assert result.metrics["victim_weights_recovered"] == 1.0
    assert result.facts["know.architecture"].spec is handed.spec
    assert "cap.model_white_box" in result.provides


def test_power_trace_gate_sequence_feeds_the_theft(victim):
    power = victim.setup("sidechannel.power", n_test=8, params={"snr_db": (10.0,)}).run(0)
    trace = power.facts["know.architecture"]
    assert trace.spec is None and trace.gates  # the trace carries no spec
    result = _with_facts(victim.setup(ProviderTheft, n_test=8), trace).run(0)
    assert result.metrics["architecture_from_fact"] == 1.0
    assert result.metrics["trace_consistent"] == 1.0
    assert result.metrics["victim_weights_recovered"] == 1.0
    assert "gate sequence from an earlier stage" in result.notes[0]


def test_without_the_fact_an_architecture_outside_the_family_is_not_stolen():
    from qmlsec.attacks.facts import KnownArchitecture

    deep = small_victim(n_qubits=2, layers=7, epochs=2, classes="0-1")
    setup = deep.setup(ProviderTheft, n_test=8, params=QUICK)
    alone = setup.run(0)
    assert alone.metrics["architecture_from_fact"] == 0.0
    assert alone.metrics["victim_identified"] == 0.0  # matching covers 1-6 layers
    assert "know.parameters" not in alone.facts and "cap.model_white_box" not in alone.provides
    given = _with_facts(setup, KnownArchitecture(spec=deep.model.spec())).run(0)
    assert given.metrics["victim_weights_recovered"] == 1.0
    assert np.allclose(
        given.facts["know.parameters"].theta, deep.model.model_.theta.detach().numpy()
    )
