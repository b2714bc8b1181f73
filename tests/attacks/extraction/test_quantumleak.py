"""QuantumLeak: rounds of queries, a bagged committee of varied QNNs, Huber loss."""

from __future__ import annotations

import numpy as np
import pytest

from qmlsec.attacks import AttackContext, QueryCounter, Target
from qmlsec.attacks.extraction.ensemble import SubstituteEnsemble
from qmlsec.attacks.extraction.quantumleak import QuantumLeak

FAST = {"queries": 36, "rounds": 3, "members": 3, "epochs": 12}


@pytest.fixture(scope="module")
def noisy_run(endpoint, iris):
    train, test = iris
    counter = QueryCounter(endpoint, output="probabilities", shots=32)
    attack = QuantumLeak(Target.black_box(counter), FAST, seed=0)
    return attack, attack.run(AttackContext(test.X, test.y, x_train=train.X, y_train=train.y))


def test_queries_are_spread_over_rounds_and_shots_counted(noisy_run):
    attack, result = noisy_run
    assert attack.round_sizes_ == [12, 12, 12]
    assert result.metrics["rounds"] == 3
    assert result.queries == {"calls": 3, "samples": 36, "shots": 36 * 32, "circuits": 36}


def test_committee_has_varied_architectures_and_fuses_probabilities(noisy_run, iris):
    _, result = noisy_run
    ensemble = result.outputs["substitute"]
    assert isinstance(ensemble, SubstituteEnsemble)
    layers = {(m.layers, m.ansatz, m.entanglement) for m in ensemble.members}
    assert len(layers) == 3
    x = iris[1].X[:5]
    mean = np.mean([m.predict_proba(x) for m in ensemble.members], axis=0)
    np.testing.assert_allclose(ensemble.predict_proba(x), mean)


def test_ensemble_and_single_substitute_are_both_reported(noisy_run):
    _, result = noisy_run
    m = result.metrics
    for key in ("ensemble_agreement", "single_agreement", "ensemble_gain", "victim_accuracy"):
        assert key in m
    assert m["ensemble_gain"] == pytest.approx(m["ensemble_agreement"] - m["single_agreement"])
    assert m["ensemble_agreement"] >= 0.7
    assert len(result.curves["members"]["y"]) == 3


def test_label_only_endpoint_trains_on_one_hot_answers(black_box, ctx):
    result = QuantumLeak(
        black_box("labels"), {**FAST, "members": 1, "compare_single": False}, seed=0
    ).run(ctx)
    assert "endpoint output: labels" in result.notes
    assert "single_agreement" not in result.metrics
    # one-hot answers still steal the decision: agreement well above the majority class
    chance = np.bincount(np.asarray(ctx.y_test)).max() / len(ctx.y_test)
    assert result.metrics["ensemble_agreement"] > chance + 0.2
