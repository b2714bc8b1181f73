"""Membership inference by loss / confidence threshold."""

from __future__ import annotations

import json

import numpy as np
import pytest

from qmlsec.attacks import AttackContext, Target
from qmlsec.attacks.inference.membership_threshold import MembershipThreshold
from qmlsec.attacks.metrics import roc_auc
from qmlsec.exceptions import ConfigError, RequirementError


@pytest.fixture(scope="module")
def overfit_result(overfit):
    return MembershipThreshold(overfit.black_box(), seed=0).run(overfit.ctx())


@pytest.fixture(scope="module")
def generalising_result(generalising):
    return MembershipThreshold(generalising.black_box(), seed=0).run(generalising.ctx())


def test_overfit_model_leaks_membership_and_generalising_model_does_not(
    overfit_result, generalising_result
):
    over, gen = overfit_result.metrics, generalising_result.metrics
    assert over["generalization_gap"] > 0.15
    assert over["auc"] > 0.7
    assert abs(gen["auc"] - 0.5) < 0.12
    assert over["auc"] > gen["auc"] + 0.15
    assert over["advantage"] > gen["advantage"]


def test_metrics_are_computed_from_the_per_sample_scores(overfit_result):
    per = overfit_result.per_sample
    member = np.asarray(per["is_member"])
    assert member.sum() == len(member) - member.sum()  # balanced
    assert overfit_result.metrics["auc"] == pytest.approx(roc_auc(per["score_loss"], member))
    assert overfit_result.metrics["confidence_auc"] == pytest.approx(
        roc_auc(per["score_confidence"], member)
    )
    json.loads(overfit_result.to_json())


def test_every_candidate_is_queried_once_through_the_counter(overfit, overfit_result):
    n = len(overfit_result.per_sample["is_member"])
    assert overfit_result.queries["samples"] == n
    assert overfit_result.metrics["n_members"] == len(overfit.y_train)


def test_white_box_model_gives_the_same_scores_as_the_exact_endpoint(overfit, overfit_result):
    white = MembershipThreshold(Target.white_box(overfit.clf), seed=0).run(overfit.ctx())
    np.testing.assert_allclose(
        white.per_sample["score_loss"], overfit_result.per_sample["score_loss"], atol=1e-12
    )


def test_needs_members_and_probabilities(generalising):
    attack = MembershipThreshold(generalising.black_box())
    with pytest.raises(ConfigError, match="training split"):
        attack.run(AttackContext(generalising.x_test, generalising.y_test))
    with pytest.raises(RequirementError, match="probabilities"):
        MembershipThreshold(generalising.black_box("labels"))
