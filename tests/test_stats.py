"""Intervals against reference values: Wilson, bootstrap, AUC bootstrap, MOVER differences."""

from __future__ import annotations

import numpy as np
import pytest

from qmlsec.stats import Estimate, bootstrap, bootstrap_auc, difference, exact, proportion, wilson


@pytest.mark.parametrize(
    ("k", "n", "lo", "hi"),
    [(8, 10, 0.490, 0.943), (0, 12, 0.0, 0.2425), (12, 12, 0.7575, 1.0), (50, 100, 0.404, 0.596),
     (1, 1, 0.207, 1.0)],
)  # fmt: skip
def test_wilson_matches_reference_intervals(k, n, lo, hi):
    est = wilson(k, n)
    assert est.value == pytest.approx(k / n) and est.n == n and est.method == "wilson"
    assert est.ci == pytest.approx((lo, hi), abs=5e-4)


def test_proportion_rounds_a_rate_to_whole_successes():
    assert proportion(0.8, 10).ci == wilson(8, 10).ci


def test_wilson_rejects_impossible_counts():
    with pytest.raises(ValueError):
        wilson(11, 10)
    with pytest.raises(ValueError):
        wilson(0, 0)


def test_newcombe_difference_matches_reference():
    # Newcombe (1998) method 10, example: 56/70 vs 48/80 -> 0.2 [0.0524, 0.3339]
    d = difference(wilson(56, 70), wilson(48, 80))
    assert d.value == pytest.approx(0.2) and d.method == "mover"
    assert d.ci == pytest.approx((0.0524, 0.3339), abs=5e-4)
    assert d.excludes(0.0) and d.above(0.0) and not d.below(0.0)


def test_difference_of_equal_small_samples_is_inconclusive():
    d = difference(wilson(3, 4), wilson(3, 4))
    assert d.value == 0.0 and d.ci[0] < 0 < d.ci[1] and not d.excludes(0.0)


def test_bootstrap_is_seeded_and_brackets_the_mean():
    x = np.random.default_rng(1).normal(2.0, 1.0, 200)
    a = bootstrap(lambda s: float(s.mean()), x, seed=3)
    b = bootstrap(lambda s: float(s.mean()), x, seed=3)
    assert a == b and a.n == 200 and a.method == "bootstrap"
    se = x.std(ddof=1) / np.sqrt(200)
    assert a.ci[0] == pytest.approx(x.mean() - 1.96 * se, abs=0.03)
    assert a.ci[1] == pytest.approx(x.mean() + 1.96 * se, abs=0.03)


def test_unpaired_bootstrap_of_a_difference_of_medians():
    rng = np.random.default_rng(0)
    est = bootstrap(lambda a, c: float(np.median(a) - np.median(c)), rng.normal(5, 1, 80),
                    rng.normal(0, 1, 40), seed=0, paired=False)  # fmt: skip
    assert est.ci[0] > 4.0 and est.ci[1] < 6.0


def test_single_observation_has_no_interval():
    assert bootstrap(lambda s: float(s.mean()), [0.3]).ci is None
    assert exact(0.3).ci == (0.3, 0.3)


def test_bootstrap_auc_agrees_with_sklearn_and_covers_it():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(0)
    labels = np.r_[np.ones(60), np.zeros(60)]
    scores = np.r_[rng.normal(1, 1, 60), rng.normal(0, 1, 60)]
    est = bootstrap_auc(scores, labels, seed=0)
    assert est.value == pytest.approx(roc_auc_score(labels, scores))
    assert est.ci[0] < est.value < est.ci[1] and est.ci[1] - est.ci[0] < 0.25


def test_estimate_round_trips_through_json():
    est = wilson(8, 10)
    assert Estimate.from_dict(est.to_dict()) == est
    assert est.to_dict()["ci"] == pytest.approx([0.490, 0.943], abs=5e-4)


def test_scaled_keeps_the_interval_ordered():
    est = wilson(8, 10).scaled(lambda v: 1.0 - v)
    assert est.value == pytest.approx(0.2) and est.ci[0] < est.ci[1]


def test_vectorised_mean_bootstrap_matches_the_row_by_row_one():
    from qmlsec.stats import bootstrap_mean

    x = np.random.default_rng(2).normal(0.0, 1.0, 50)
    fast, slow = bootstrap_mean(x, seed=4), bootstrap(lambda s: float(s.mean()), x, seed=4)
    assert fast.value == slow.value and fast.n == slow.n
    assert fast.ci == pytest.approx(slow.ci, abs=0.05)


def test_wilson_ends_are_exact_at_zero_and_all():
    assert wilson(0, 20).ci[0] == 0.0 and wilson(20, 20).ci[1] == 1.0


def test_bootstrap_auc_pairwise_path_equals_the_rank_formula(monkeypatch):
    from qmlsec import stats

    rng = np.random.default_rng(5)
    scores = np.round(rng.normal(size=60), 1)  # ties
    labels = rng.integers(0, 2, 60)
    fast = stats.bootstrap_auc(scores, labels, seed=2, n_boot=300)
    monkeypatch.setattr(stats, "_PAIR_LIMIT", 0)  # force the per-replicate rank formula
    slow = stats.bootstrap_auc(scores, labels, seed=2, n_boot=300)
    assert fast == slow and fast.ci is not None and fast.ci[0] < fast.ci[1]
