"""Backdoor with an input trigger: poisoning, clean accuracy and attack success rate."""

from __future__ import annotations

import numpy as np
import pytest

from qmlsec.attacks import Capability, Position, Target
from qmlsec.attacks.poisoning.backdoor import Backdoor
from qmlsec.exceptions import ConfigError
from qmlsec.testing.victims import small_victim

WRITER = Target(Position.SUPPLY_CHAIN, frozenset({Capability.TRAINING_DATA_WRITE}))


def test_poison_stamps_the_trigger_on_other_class_samples_only():
    x = np.tile(np.arange(5.0), (40, 1))
    y = np.array([0, 1] * 20)
    x_p, y_p = Backdoor(WRITER, {"features": [1, 3], "value": 9.0, "target_class": 0}).poison(
        x, y, rate=0.25
    )
    stamped = np.any(x_p != x, axis=1)
    assert stamped.sum() == 10
    assert np.all(y[stamped] == 1) and np.all(y_p[stamped] == 0)
    assert np.all(x_p[stamped][:, [1, 3]] == 9.0)
    assert np.array_equal(x_p[~stamped], x[~stamped])


def test_default_trigger_uses_the_least_varying_features_and_the_data_max():
    x = np.c_[np.linspace(0, 10, 20), np.zeros(20), np.linspace(0, 1, 20)]
    feats, value = Backdoor(WRITER, {"n_features": 2}).trigger(x)
    assert feats.tolist() == [1, 2]
    assert value == 10.0


def test_rejects_unknown_target_class_and_features():
    x, y = np.zeros((10, 3)), np.array([0, 1] * 5)
    with pytest.raises(ConfigError, match="target_class"):
        Backdoor(WRITER, {"target_class": 7}).poison(x, y, rate=0.1)
    with pytest.raises(ConfigError, match="out of range"):
        Backdoor(WRITER, {"features": [5]}).poison(x, y, rate=0.1)


def test_backdoor_is_learned_while_clean_accuracy_stays():
    victim = small_victim("digits", classes="0-1", n_qubits=4, layers=2, epochs=10)
    writer = Target(WRITER.position, WRITER.capabilities, model=victim.model)
    result = Backdoor(writer, {"rate": 0.15}).run(victim.context())
    m = result.metrics
    assert m["attack_success_rate"] > 0.8
    assert m["attack_success_rate"] > m["baseline_trigger_rate"] + 0.3
    assert m["clean_accuracy"] >= m["baseline_clean_accuracy"] - 0.1
