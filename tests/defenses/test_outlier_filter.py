"""Encoded-state outlier filtering against label-flip poisoning: detection, recovery, cost."""

from __future__ import annotations

from qmlsec.attacks.poisoning.label_flip import RandomLabelFlip
from qmlsec.attacks.targets import Capability, Position, Target
from qmlsec.defenses.trainer.outlier_filter import OutlierFilter


def test_filter_finds_flipped_labels_with_high_precision(iris_victim):
    v = iris_victim
    target = Target(Position.UNTRUSTED_CLASSICAL_CLOUD, frozenset(Capability), model=v.model)
    x, y_poisoned = RandomLabelFlip(target, {"rates": [0.3]}, seed=0).poison(
        v.x_train, v.y_train, rate=0.3
    )
    defense = OutlierFilter(seed=0).for_model(v.model)
    defense.fit(x, y_poisoned)
    flipped = y_poisoned != v.y_train
    hits = (defense.removed_ & flipped).sum()
    assert hits / defense.removed_.sum() > 0.85  # precision
    assert hits / flipped.sum() > 0.75  # recall


def test_filter_recovers_accuracy_under_quid_at_a_small_clean_cost(iris_victim):
    v = iris_victim
    ev = v.evaluate(OutlierFilter(seed=0), "poisoning.quid",
                          params={"rates": [0.3]})  # fmt: skip
    assert ev.metric == "accuracy@0.3" and ev.direction == -1
    assert ev.with_defense >= ev.without + 0.15 and ev.helped
    assert ev.cost.accuracy_drop < 0.05
