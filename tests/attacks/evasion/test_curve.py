"""The robust-accuracy curve is computed from the per-sample record."""

from __future__ import annotations

import json

import numpy as np

from qmlsec.attacks.evasion.curve import CurveRecord


def record() -> CurveRecord:
    return CurveRecord(
        eps=[0.1, 0.2],
        labels=np.array([0, 1, 1, 0]),
        clean=np.array([0, 1, 0, 0]),
        adversarial=np.array([[0, 1], [1, 0], [0, 0], [1, 1]]),
        linf=np.array([[0.1, 0.2]] * 4),
        l2=np.array([[0.3, 0.6]] * 4),
    )


def test_metrics_follow_from_per_sample_outcomes():
    m = record().metrics()
    assert m["clean_accuracy"] == 0.75
    assert m["adversarial_accuracy@0.1"] == 0.5
    assert m["adversarial_accuracy@0.2"] == 0.0
    assert m["success_rate@0.1"] == 1 / 3
    assert m["success_rate@0.2"] == 1.0
    assert m["mean_l2@0.2"] == 0.6
    assert m["min_adversarial_accuracy"] == 0.0


def test_per_sample_lists_have_one_entry_per_sample_and_serialise():
    per_sample = record().per_sample()
    assert {len(v) for v in per_sample.values()} == {4}
    assert per_sample["adversarial_prediction"][1] == [1, 0]
    json.dumps(per_sample)


def test_curves_are_series_over_eps():
    curves = record().curves()
    assert curves["robust_accuracy"] == {"x": [0.1, 0.2], "y": [0.5, 0.0]}


def test_success_rate_is_zero_when_nothing_is_correct():
    rec = record()
    rec.clean = 1 - rec.labels
    assert rec.success_rate().tolist() == [0.0, 0.0]
