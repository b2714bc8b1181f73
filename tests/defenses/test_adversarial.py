"""Adversarial training against PGD: robust accuracy up, clean accuracy and time cost."""

from __future__ import annotations

import numpy as np
import pytest

from qmlsec.attacks.evasion.pgd import PGD
from qmlsec.attacks.targets import Target
from qmlsec.defenses.trainer.adversarial import AdversarialTraining


def test_adversarial_training_raises_pgd_robust_accuracy(iris_victim):
    v = iris_victim
    defense = AdversarialTraining({"eps": 0.1, "eps_units": "box", "epochs": 8}, seed=0)
    ev = v.evaluate(defense, "evasion.pgd",
                    params={"eps": [0.1], "eps_units": "box", "steps": 5})  # fmt: skip
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


def test_training_attack_parameters_follow_madry_by_default():
    p = AdversarialTraining({"eps": 0.3}).attack_params()
    assert p["step_ratio"] == 2.5 and p["random_start"] is True and p["eps_units"] == "raw"


def test_training_attack_step_size_steps_and_start_are_used(iris_victim):
    v = iris_victim
    defense = AdversarialTraining(
        {"eps": 0.4, "steps": 1, "step_ratio": 0.25, "random_start": False}, seed=0
    )
    params = defense.attack_params()
    x, y = v.x_test[:6], v.y_test[:6]
    box = (float(v.x_train.min()), float(v.x_train.max()))
    pgd = PGD(Target.white_box(v.model), params, seed=0)
    x_adv = pgd.generate(x, y, eps=0.4, box=box)
    moved = np.abs(x_adv - x).max(axis=1)
    # one signed step of 0.25 * 0.4 = 0.1 raw units, no random start: every sample moves 0.1
    assert moved == pytest.approx(np.full(len(x), 0.1), abs=1e-9)
    started = PGD(Target.white_box(v.model), {**params, "random_start": True}, seed=0)
    assert not np.allclose(started.generate(x, y, eps=0.4, box=box), x_adv)


def test_history_records_the_training_attack(iris_victim):
    v = iris_victim
    defense = AdversarialTraining(
        {"eps": 0.5, "steps": 2, "step_ratio": 1.0, "epochs": 1, "warmup": 1}, seed=0
    )
    defense.recipe = {"n_qubits": 4, "layers": 1, "epochs": 1, "lr": 0.1}
    clf = defense.fit(v.x_train[:40], v.y_train[:40])
    last = clf.history_[-1]
    assert last["adv_eps"] == 0.5 and last["adv_steps"] == 2.0
    assert last["adv_step_size"] == pytest.approx(0.25) and last["adv_random_start"] == 1.0
