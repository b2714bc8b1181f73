"""Adversarial training against PGD: robust accuracy up, clean accuracy and time cost."""

from __future__ import annotations

from qmlsec.defenses.trainer.adversarial import AdversarialTraining


def test_adversarial_training_raises_pgd_robust_accuracy(iris_victim):
    v = iris_victim
    defense = AdversarialTraining({"eps": 0.1, "epochs": 8}, seed=0)
    ev = v.evaluate(defense, "evasion.pgd",
                          params={"eps": [0.1], "steps": 5})  # fmt: skip
    assert ev.metric == "adversarial_accuracy@0.1" and ev.direction == -1
    assert ev.with_defense >= ev.without + 0.1 and ev.helped
    # cost: clean accuracy and training time, both measured
    extra = ev.cost.extra
    assert extra["clean_accuracy_with"] >= 0.6
    assert (
        abs(
            ev.cost.accuracy_drop - (extra["clean_accuracy_without"] - extra["clean_accuracy_with"])
        )
        < 1e-12
    )
    assert extra["training_time_multiplier"] > 1.0
