"""Attack metrics agree with scikit-learn and behave at the edges."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from qmlsec.attacks.metrics import (
    advantage,
    agreement,
    membership_metrics,
    roc_auc,
    roc_curve,
    rowwise_cosine,
    tpr_at_fpr,
)
from qmlsec.exceptions import DataError


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_roc_curve_matches_sklearn_full_curve(seed: int) -> None:
    gen = np.random.default_rng(seed)
    labels = gen.integers(0, 2, 200)
    scores = np.round(labels * 0.4 + gen.normal(size=200), 1)  # ties on purpose
    fpr, tpr, thr = roc_curve(scores, labels)
    sk_fpr, sk_tpr, sk_thr = skm.roc_curve(labels, scores, drop_intermediate=False)
    np.testing.assert_allclose(fpr, sk_fpr)
    np.testing.assert_allclose(tpr, sk_tpr)
    np.testing.assert_allclose(thr[1:], sk_thr[1:])
    assert roc_auc(scores, labels) == pytest.approx(skm.roc_auc_score(labels, scores))


def test_tpr_at_fpr_and_advantage_match_sklearn_curve() -> None:
    gen = np.random.default_rng(5)
    labels = np.r_[np.ones(2000), np.zeros(2000)].astype(int)
    scores = gen.normal(size=4000) + labels
    sk_fpr, sk_tpr, _ = skm.roc_curve(labels, scores)
    fpr, tpr, _ = roc_curve(scores, labels)
    for level in (0.01, 0.001):
        assert tpr_at_fpr(fpr, tpr, level) == pytest.approx(sk_tpr[sk_fpr <= level].max())
    assert advantage(fpr, tpr) == pytest.approx(np.max(sk_tpr - sk_fpr))


def test_membership_metrics_perfect_random_and_inverted_scores() -> None:
    members = np.r_[np.ones(50), np.zeros(50)].astype(int)
    perfect = membership_metrics(members + 0.5, members)
    assert perfect["auc"] == 1.0 and perfect["tpr_at_0.1pct_fpr"] == 1.0
    assert perfect["advantage"] == 1.0 and perfect["fpr_resolution"] == pytest.approx(0.02)
    constant = membership_metrics(np.zeros(100), members)
    assert constant["auc"] == 0.5 and constant["advantage"] == 0.0
    inverted = membership_metrics(-members.astype(float), members)
    assert inverted["auc"] == 0.0 and inverted["advantage"] == 1.0


def test_metrics_reject_one_class_and_bad_shapes() -> None:
    with pytest.raises(DataError, match="both positives and negatives"):
        roc_curve(np.arange(4.0), np.ones(4))
    with pytest.raises(DataError, match="differ in length"):
        roc_curve(np.arange(4.0), np.array([0, 1]))
    with pytest.raises(DataError, match="cannot compare"):
        agreement(np.arange(3), np.arange(4))


def test_agreement_and_rowwise_cosine() -> None:
    assert agreement(np.array([0, 1, 2, 2]), np.array([0, 1, 1, 2])) == 0.75
    cos = rowwise_cosine(np.array([[1.0, 0.0], [1.0, 1.0]]), np.array([[2.0, 0.0], [-1.0, -1.0]]))
    np.testing.assert_allclose(cos, [1.0, -1.0])
