"""Every headline rate of an attack result carries its sample size and 95 % interval."""

from __future__ import annotations

import json

import numpy as np
import pytest

from qmlsec.attacks.intervals import metric_intervals
from qmlsec.attacks.result import AttackResult
from qmlsec.stats import wilson


def test_rate_over_the_labelled_samples_gets_wilson():
    iv = metric_intervals({"substitute_agreement": 0.75},
                          {"victim": [0] * 12, "substitute": [0] * 12, "y_true": [0] * 12})  # fmt: skip
    assert iv["substitute_agreement"].n == 12
    assert iv["substitute_agreement"].ci == wilson(9, 12).ci


def test_success_rate_counts_only_the_samples_the_victim_got_right():
    metrics = {"clean_accuracy": 11 / 12, "success_rate@0.1": 4 / 11}
    iv = metric_intervals(metrics, {"label": [0] * 12})
    assert iv["success_rate@0.1"].n == 11 and iv["success_rate@0.1"].ci == wilson(4, 11).ci


def test_auc_interval_comes_from_the_score_series_it_was_computed_on():
    rng = np.random.default_rng(0)
    labels = [1] * 30 + [0] * 30
    good, noise = np.r_[rng.normal(2, 1, 30), rng.normal(0, 1, 30)], rng.normal(0, 1, 60)
    from qmlsec.attacks.metrics import roc_auc

    value = roc_auc(good, np.asarray(labels))
    iv = metric_intervals({"auc": value}, {"is_member": labels, "score_loss": list(noise),
                                           "score_confidence": list(good)})  # fmt: skip
    assert iv["auc"].value == pytest.approx(value) and iv["auc"].n == 60
    assert iv["auc"].method == "bootstrap" and iv["auc"].ci[0] > 0.5


def test_accuracy_drop_is_a_difference_of_two_proportions():
    iv = metric_intervals({"clean_accuracy": 1.0, "max_accuracy_drop": 0.25},
                          {"label": [0, 1, 2, 3], "prediction_0": [0, 1, 2, 0]})  # fmt: skip
    drop = iv["max_accuracy_drop"]
    assert drop.method == "mover" and drop.n == 4 and drop.ci[0] < 0 < drop.ci[1]


def test_latency_increase_bootstraps_the_difference_of_medians():
    iv = metric_intervals(
        {"latency_increase_p50_s": 10.0},
        {"latency_s": [10.0, 11.0, 9.0, 10.5, 10.0], "clean_latency_s": [0.0] * 5},
    )
    est = iv["latency_increase_p50_s"]
    assert est.method == "bootstrap" and 9.0 <= est.ci[0] <= 10.0 <= est.ci[1] <= 11.0


def test_exact_advantage_of_one_secret_pair():
    iv = metric_intervals({"advantage_r0.2": 0.3}, {"advantage_r0.2": [0.3]})
    assert iv["advantage_r0.2"].method == "exact" and iv["advantage_r0.2"].ci == (0.3, 0.3)


def test_perturbation_distances_bootstrap_their_column():
    l2 = [[1.0, 3.0], [2.0, 4.0], [1.5, 3.5]]
    metrics = {"mean_l2@0.1": 1.5, "mean_l2@0.3": 3.5}
    iv = metric_intervals(metrics, {"l2": l2})
    assert (
        iv["mean_l2@0.3"].n == 3
        and 3.0 <= iv["mean_l2@0.3"].ci[0] <= iv["mean_l2@0.3"].ci[1] <= 4.0
    )


def test_counts_and_settings_get_no_interval():
    assert metric_intervals({"queries_used": 200, "calls": 3}, {"label": [0] * 10}) == {}


def test_attack_result_json_carries_n_and_ci():
    result = AttackResult("evasion.fgsm", "QML.T0011.000", {}, seed=1,
                          metrics={"adversarial_accuracy@0.1": 0.8},
                          per_sample={"label": list(range(10))})  # fmt: skip
    data = json.loads(result.to_json())
    iv = data["intervals"]["adversarial_accuracy@0.1"]
    assert iv["n"] == 10 and iv["ci"] == pytest.approx([0.490, 0.943], abs=5e-4)
    again = AttackResult(**{k: v for k, v in data.items()
                            if k in AttackResult.__dataclass_fields__})  # fmt: skip
    assert again.to_dict()["intervals"] == data["intervals"]


def test_rate_over_the_triggered_subset():
    triggered = [True] * 18 + [False] * 42
    iv = metric_intervals({"attack_success_rate": 1 / 18}, {"label": [0] * 60,
                                                            "triggered": triggered})  # fmt: skip
    assert iv["attack_success_rate"].n == 18 and iv["attack_success_rate"].ci == wilson(1, 18).ci


def test_metric_samples_are_the_per_input_hits_behind_a_rate():
    from qmlsec.attacks.intervals import metric_samples

    metrics = {"adversarial_accuracy@0.1": 0.75, "adversarial_accuracy@0.3": 0.25}
    per_sample = {"label": [0, 1, 2, 3], "adversarial_prediction": [[0, 0], [1, 0], [2, 0], [0, 0]]}
    hits = metric_samples("adversarial_accuracy@0.3", 0.25, metrics, per_sample)
    assert hits.tolist() == [1.0, 0.0, 0.0, 0.0]
    agree = metric_samples("substitute_agreement", 0.5, {},
                           {"victim": [0, 1], "substitute": [0, 0]})  # fmt: skip
    assert agree.tolist() == [1.0, 0.0]
    assert (
        metric_samples("substitute_agreement", 0.9, {}, {"victim": [0], "substitute": [0]}) is None
    )
