"""QSentry-style clustering of measurement outputs finds backdoor-poisoned samples."""

from __future__ import annotations

import numpy as np
import pytest

from qmlsec.defenses.detector.qsentry import QSentry, f1_score


def test_a_small_separate_cluster_in_one_label_is_flagged():
    gen = np.random.default_rng(0)
    clean0 = gen.normal(0.5, 0.05, (40, 4))
    poisoned = gen.normal(-0.5, 0.05, (6, 4))  # relabelled as 0 by the attacker
    clean1 = np.vstack([gen.normal(-0.2, 0.15, (25, 4)), gen.normal(0.2, 0.15, (25, 4))])
    outputs = np.vstack([clean0, poisoned, clean1])
    y = np.array([0] * 46 + [1] * 50)
    truth = np.zeros(96, dtype=bool)
    truth[40:46] = True
    flags = QSentry(seed=0).scan(outputs, y)
    assert f1_score(flags, truth) == 1.0  # two overlapping halves of label 1 are not split off


def test_detection_figures_carry_intervals():
    flags = np.array([True, True, False, False, True])
    truth = np.array([True, True, True, False, False])
    d = QSentry(seed=0).detection(flags, truth)
    assert d["detection_rate"].value == pytest.approx(2 / 3)
    assert d["precision"].value == pytest.approx(2 / 3)
    assert d["f1"].value == pytest.approx(2 / 3)
    assert d["detection_rate"].ci is not None and d["detection_rate"].n == 3


@pytest.mark.slow
def test_backdoor_samples_found_well_above_chance_and_the_backdoor_removed(iris_victim):
    ev = iris_victim.evaluate(QSentry(seed=0), "poisoning.backdoor", n_test=45,
                              params={"rate": 0.1, "baseline": False})  # fmt: skip
    m = ev.results["with"]["metrics"]
    chance_f1 = 2 * 0.1 / 1.1  # flagging every sample: precision 0.1, recall 1
    assert m["qsentry_f1_lo"] > chance_f1
    assert ev.with_defense < ev.without
