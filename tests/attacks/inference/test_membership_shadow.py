"""Membership inference with shadow models and a logistic-regression attack model."""

from __future__ import annotations

import numpy as np
import pytest

from qmlsec.attacks.inference.membership_shadow import MembershipShadow, attack_features
from qmlsec.attacks.metrics import roc_auc
from qmlsec.exceptions import ConfigError


@pytest.mark.slow
def test_shadow_attack_with_the_victim_recipe_detects_overfit_members(overfit, recipe):
    result = MembershipShadow(overfit.black_box(), {"shadows": 3}, seed=0).run(
        overfit.ctx(train_victim=recipe)
    )
    m = result.metrics
    assert m["auc"] > 0.65
    assert m["auc"] == pytest.approx(
        roc_auc(result.per_sample["score"], result.per_sample["is_member"])
    )
    assert m["shadow_samples"] == 3 * 2 * m["shadow_size"]


def test_shadow_attack_runs_from_the_default_recipe(generalising):
    params = {"shadows": 1, "shadow_model": {"n_qubits": 4, "layers": 1, "epochs": 5, "lr": 0.1}}
    result = MembershipShadow(generalising.black_box(), params, seed=0).run(generalising.ctx())
    assert result.metrics["auc"] == pytest.approx(
        roc_auc(result.per_sample["score"], result.per_sample["is_member"])
    )
    assert result.metrics["shadows"] == 1
    assert "shadow_model" in result.notes[-1]


def test_one_shadow_already_beats_chance_on_an_overfit_victim(overfit):
    shadow = {"n_qubits": 4, "layers": 3, "epochs": 200, "lr": 0.2, "batch_size": 0}
    params = {"shadows": 1, "shadow_model": shadow}
    result = MembershipShadow(overfit.black_box(), params, seed=0).run(overfit.ctx())
    assert result.metrics["auc"] > 0.6
    assert result.estimates()["auc"].ci[0] > 0.5  # above chance beyond its interval


def test_attack_features_rank_confident_correct_outputs_first():
    probs = np.array([[0.98, 0.02], [0.6, 0.4], [0.3, 0.7]])
    feats = attack_features(probs, np.array([0, 0, 0]))
    assert feats[0, 0] > feats[1, 0] > feats[2, 0]  # log true-class probability
    assert feats[:, 3].tolist() == [1.0, 1.0, 0.0]  # correctness


def test_infer_before_fitting_is_refused(generalising):
    with pytest.raises(ConfigError, match="not fitted"):
        MembershipShadow(generalising.black_box()).infer(generalising.x_test, generalising.y_test)


def test_shadows_get_enough_samples_for_the_assessment_victim_recipe():
    """The assessment's test samples leave each shadow more samples than PCA components.

    With the 12 test samples of a quick assessment the shadows got 3 samples and the
    victim's recipe (PCA to 8 components) failed; the assessment now gives this attack
    ``samples_for`` test samples.
    """
    from qmlsec.attacks import QueryCounter, Target
    from qmlsec.attacks.base import AttackContext
    from qmlsec.attacks.local_endpoint import LocalEndpoint
    from qmlsec.campaigns.assess_config import load_assess_config
    from qmlsec.data import load_dataset, parse_classes, split
    from qmlsec.models.classifier import QNNClassifier

    config = load_assess_config(quick=True)
    n = config.samples_for("inference.membership_shadow")
    assert n > config.test_samples
    train, test = split(load_dataset("digits", classes=parse_classes("0-3"), seed=0), seed=0)
    sizes = []

    def recipe(x, y):  # the victim's PCA -> 8 qubits, cut to one short epoch
        sizes.append(len(x))
        return QNNClassifier(n_qubits=8, layers=1, epochs=1, random_state=0).fit(x, y)

    victim = recipe(train.X[:40], train.y[:40])
    counter = QueryCounter(LocalEndpoint(victim), output="probabilities")
    ctx = AttackContext(test.X[:n], test.y[:n], x_train=train.X[:40], y_train=train.y[:40],
                        train_victim=recipe)  # fmt: skip
    params = config.attack_params("inference.membership_shadow", MembershipShadow.check_params,
                                  set(MembershipShadow.Params.model_fields))  # fmt: skip
    target = Target.black_box(counter, output="probabilities")
    result = MembershipShadow(target, params, seed=0).run(ctx)
    assert min(sizes[1:]) >= config.victim.qubits
    assert result.metrics["shadow_size"] == sizes[1]
    assert result.metrics["auc"] == pytest.approx(
        roc_auc(result.per_sample["score"], result.per_sample["is_member"])
    )
