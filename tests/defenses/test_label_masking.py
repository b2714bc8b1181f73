"""Label masking by zero-weight decoys against label clustering by the provider: effect, cost."""

from __future__ import annotations

import numpy as np
import torch

from qmlsec.defenses.trainer.label_masking import LabelMasking


def test_decoys_cut_label_recovery_by_the_provider(iris_victim):
    v = iris_victim
    ev = v.evaluate(LabelMasking({"decoy_ratio": 2.0}, seed=0), "inference.label_clustering")
    assert ev.metric == "recovered_fraction" and ev.direction == 1
    assert ev.without > 0.85
    assert ev.with_defense < ev.without - 0.3 and ev.helped
    observed = ev.results["with"]["metrics"]
    assert observed["decoys_observed"] > 0 and observed["purity"] < 0.6


def test_decoys_weigh_zero_so_the_model_is_unchanged_and_the_cost_is_circuits(iris_victim):
    v = iris_victim
    defense = LabelMasking({"decoy_ratio": 2.0}, seed=0).for_model(v.model)
    masked = defense.fit(v.x_train, v.y_train)
    assert defense.decoy_mask_.sum() == 2 * len(v.y_train)
    assert np.array_equal(np.sort(defense.stream_[~defense.decoy_mask_], axis=0),
                          np.sort(np.asarray(v.x_train, dtype=float), axis=0))  # fmt: skip
    plain = defense.classifier().fit(v.x_train, v.y_train)
    assert torch.equal(masked.model_.theta, plain.model_.theta)
    ev = v.evaluate(LabelMasking({"decoy_ratio": 2.0}, seed=0), "inference.label_clustering",
                    params={"max_samples": 12})  # fmt: skip
    assert abs(ev.cost.accuracy_drop) < 1e-12
    assert ev.cost.extra["stream_multiplier"] == 3.0
    assert ev.cost.extra["extra_circuits_per_epoch"] > 0 and ev.cost.extra_shots > 0
