"""Vertical (readout-crosstalk) leakage between concurrent tenants."""

from __future__ import annotations

import numpy as np
import pytest

from qmlsec.attacks.facts import Colocation
from qmlsec.attacks.inference.label_clustering import LabelClustering
from qmlsec.attacks.leakage.crosstalk import (
    CrosstalkLeakage,
    attacker_distribution,
    coupling_strength,
    guessed_region,
)
from qmlsec.attacks.targets import Capability, Position, Target
from qmlsec.cloud.crosstalk import qubit_distances
from qmlsec.cloud.providers.hooks import CircuitTransformHook
from qmlsec.exceptions import RequirementError
from qmlsec.models.classifier import QNNClassifier
from qmlsec.testing.clouds import recording_cloud
from qmlsec.testing.victims import small_victim

GRID = "generic_grid_5x5"


def co_tenant(model) -> Target:
    return Target(position=Position.CO_TENANT, capabilities=frozenset({Capability.CO_TENANCY}),
                  model=model)  # fmt: skip


def true_qubits(victim, device: str) -> tuple[int, ...]:
    """Where the victim's circuit lands (scoring side: the provider's record)."""
    attack = CrosstalkLeakage(co_tenant(victim.model), {"device": device}, seed=0)
    _, job = attack.marginals(attack.cloud(), victim.x_test[:1])
    return tuple(job.active)


def test_coupling_decays_with_distance_and_vanishes_beyond_range():
    values = [coupling_strength(0.1, d) for d in (1, 2, 3, 4)]
    assert values[0] > values[1] > values[2] > values[3] == 0.0


def test_attacker_distribution_is_affine_in_victim_marginal():
    assert attacker_distribution(0.5, 0.02, 0.0)[1] == pytest.approx(0.02)
    assert attacker_distribution(1.0, 0.02, 0.1)[1] == pytest.approx(0.12)


def test_attack_no_leakage_without_coupling_and_decay_with_distance():
    victim = small_victim(n_qubits=2, layers=2, epochs=15, classes="0-1")
    where = Colocation("generic_grid_3x3", true_qubits(victim, "generic_grid_3x3"))
    params = {"kappas": (0.0, 0.2), "distances": (1, 2, 3), "pairs": 5, "max_samples": 0}
    m = CrosstalkLeakage(co_tenant(victim.model), params, seed=0).run(victim.context(where)).metrics
    assert all(m[f"advantage_d{d}_k0"] == 0.0 for d in (1, 2, 3))
    assert m["advantage_d1_k0.2"] > m["advantage_d2_k0.2"] > m["advantage_d3_k0.2"] > 0


def flip_first_qubit(circuit):
    """A provider's circuit transform: an extra X on logical qubit 0 at the end."""
    out = circuit.copy()
    out.x(0)
    return out


def test_probe_is_co_scheduled_beside_the_victims_cloud_jobs():
    victim = small_victim(n_qubits=2, layers=2, epochs=15, classes="0-1")
    X = victim.x_test[:4]
    marginals = {}
    for name, hooks in (("plain", []), ("flipped", [CircuitTransformHook([flip_first_qubit])])):
        cloud = recording_cloud("generic_grid_3x3", *hooks)
        cost = cloud.cost
        tgt = Target(Position.CO_TENANT, frozenset({Capability.CO_TENANCY}),
                     model=victim.model, cloud=cloud)  # fmt: skip
        attack = CrosstalkLeakage(tgt, {"shots": 500}, seed=0)
        marginals[name], job = attack.marginals(cloud, X)
        attack.believed_ = tuple(job.active)  # sensing where the victim is
        probe = attack.probe(cloud, X, job, 1, 0.5, "test")
        last = cloud.history[-1]
        assert cost.total().jobs == 2 and len(cloud.history) == 2
        assert [c.label for c in last.co_jobs if c.tenant == "attacker"] == ["readout_probe"]
        assert probe.qubits[-1] not in job.active
        edges = cloud.pool[0].coupling_map
        assert qubit_distances(edges, 9)[probe.qubits[-1], job.layout[0]] == 1
        assert len(probe.counts[0]) == len(X)
        assert all(sum(c.values()) == 500 for c in probe.counts[0])
        # the probe's frequency follows the victim's executed outcomes (within shot noise),
        # through its true coupling to each of the victim's qubits
        freq = [c["1"] / 500 for c in probe.counts[0]]
        expected = 0.02 + marginals[name] @ probe.couplings[0]
        assert probe.couplings[0][0] == pytest.approx(0.5)
        assert max(abs(a - b) for a, b in zip(freq, expected, strict=True)) < 0.1
    # the provider's X on the watched logical qubit flips its marginal in what was executed
    assert pytest.approx(1 - marginals["plain"][:, 0], abs=1e-9) == marginals["flipped"][:, 0]


# --- fingerprint -> co-location -> leaked training inputs -> labels --------------------

PARAMS = {"kappas": (0.2,), "distances": (1,), "pairs": 3, "max_samples": 60, "device": GRID}


@pytest.fixture(scope="module")
def iris3():
    return small_victim(n_qubits=2, layers=2, epochs=15)


@pytest.fixture(scope="module")
def leaks(iris3):
    """The leak sensed beside the victim's true qubits, and beside the seed-0 guess."""
    where = Colocation(GRID, true_qubits(iris3, GRID))
    attack = CrosstalkLeakage(co_tenant(iris3.model), PARAMS, seed=0)
    return {"colocated": attack.run(iris3.context(where)),
            "guessed": CrosstalkLeakage(co_tenant(iris3.model), PARAMS, seed=0).run(iris3.context())}  # fmt: skip


def test_the_colocation_fact_decides_where_to_sense(iris3, leaks):
    colocated, guessed = leaks["colocated"], leaks["guessed"]
    truth = true_qubits(iris3, GRID)
    assert colocated.outputs["believed_qubits"] == list(truth)
    assert colocated.metrics["colocation_from_fact"] == 1.0
    assert guessed.outputs["believed_qubits"] == list(guessed_region(GRID, 4, 0))
    assert not set(guessed.outputs["believed_qubits"]) & set(truth)
    # measured (seed 0, 60 forward jobs, 4000 shots, kappa 0.2): marginal error 0.024
    # colocated vs 0.40 guessed
    assert colocated.metrics["marginal_mae"] < 0.05 < 0.2 < guessed.metrics["marginal_mae"]
    assert colocated.estimates()["marginal_mae"].ci[1] < guessed.estimates()["marginal_mae"].ci[0]
    for result in (colocated, guessed):
        assert "know.training_inputs" in result.provides
        assert result.facts["know.training_inputs"].inputs.shape[0] == 60


def test_label_clustering_clusters_exactly_what_leaked(iris3, leaks):
    recovered, intervals = {}, {}
    for name, leak in leaks.items():
        handed = leak.facts["know.training_inputs"]
        result = LabelClustering(co_tenant(iris3.model), {"max_samples": 60}, seed=0).run(
            iris3.context(handed)
        )
        assert result.outputs["stolen_inputs"] is handed.inputs
        assert result.metrics["inputs_from_fact"] == 1.0
        recovered[name] = result.metrics["recovered_fraction"]
        intervals[name] = result.estimates()["recovered_fraction"]
        assert intervals[name].n == 60
    # measured (seed 0, 3-class iris, 60 training inputs): 0.78 [0.66, 0.87] colocated,
    # 0.42 [0.30, 0.54] guessed. The victim's last CNOTs run on the measured bits, so the
    # probes sense the qubits before them (0.92 and 0.75 when the device ran them).
    assert recovered["colocated"] >= 0.7 and recovered["colocated"] > recovered["guessed"] + 0.2
    assert intervals["colocated"].ci[0] > intervals["guessed"].ci[1]


def test_a_co_tenant_without_leaked_inputs_cannot_cluster(iris3):
    attack = LabelClustering(co_tenant(iris3.model), {"max_samples": 10}, seed=0)
    with pytest.raises(RequirementError, match="training inputs"):
        attack.run(iris3.context())


def test_state_preparation_readout_inverts_to_the_encoded_inputs():
    base = small_victim(n_qubits=2, layers=2, epochs=15, classes="0-1")
    model = QNNClassifier(n_qubits=2, layers=2, epochs=5, lr=0.1, rotation="Y", random_state=0)
    model.fit(base.x_train, base.y_train)
    victim = type(base)(model, base.x_train, base.y_train, base.x_test, base.y_test)
    params = {**PARAMS, "jobs": "state_prep", "max_samples": 40}
    where = Colocation(GRID, true_qubits(victim, GRID))
    colocated = CrosstalkLeakage(co_tenant(model), params, seed=0).run(victim.context(where))
    guessed = CrosstalkLeakage(co_tenant(model), params, seed=0).run(victim.context())
    # measured (seed 0): input error 0.10 rad colocated, 0.49 guessed, 0.78 for pi/2
    m = colocated.metrics
    assert m["input_mae"] < 0.2 and m["input_mae"] < m["prior_input_mae"] / 4
    assert guessed.metrics["input_mae"] > 2 * m["input_mae"]
    x_hat = colocated.facts["know.training_inputs"].inputs
    assert x_hat.shape == (40, 2) and np.all((x_hat >= 0) & (x_hat <= np.pi))


def test_jobs_kept_out_of_one_readout_window_leak_no_training_inputs(iris3, leaks):
    from qmlsec.defenses.provider.dedicated_execution import alone

    where = Colocation(GRID, true_qubits(iris3, GRID))
    defended = alone(CrosstalkLeakage)(co_tenant(iris3.model), PARAMS, seed=0).run(
        iris3.context(where)
    )
    assert defended.metrics["marginal_mae"] > 10 * leaks["colocated"].metrics["marginal_mae"]
    assert np.allclose(defended.outputs["leaked_marginals"], 0.0, atol=0.05)
