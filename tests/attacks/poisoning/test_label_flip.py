"""Random label flipping: exact rates, nested poisoned sets, retraining."""

from __future__ import annotations

import numpy as np
import pytest

from qmlsec.attacks import Capability, Position, Target
from qmlsec.attacks.poisoning.label_flip import RandomLabelFlip
from qmlsec.exceptions import ConfigError, RequirementError

Y = np.array([0, 1, 2] * 20)


def test_flips_exactly_the_rate_and_every_flip_changes_the_label(writer):
    _, y_p = RandomLabelFlip(writer, seed=0).poison(np.zeros((60, 2)), Y, rate=0.25)
    assert int((y_p != Y).sum()) == 15
    assert set(np.unique(y_p)) <= {0, 1, 2}


def test_poisoned_sets_are_nested_across_rates(writer):
    attack = RandomLabelFlip(writer, seed=2)
    low = attack.poison(np.zeros((60, 2)), Y, rate=0.1)[1] != Y
    high = attack.poison(np.zeros((60, 2)), Y, rate=0.3)[1] != Y
    assert np.all(high[low])


def test_seed_decides_the_poisoned_samples(writer):
    a = RandomLabelFlip(writer, seed=0).poison(np.zeros((60, 2)), Y, rate=0.2)[1]
    b = RandomLabelFlip(writer, seed=1).poison(np.zeros((60, 2)), Y, rate=0.2)[1]
    assert not np.array_equal(a, b)


def test_run_retrains_and_reports_accuracy_per_rate(victim, writer):
    result = RandomLabelFlip(writer, {"rates": [0.0, 0.4]}).run(victim.context())
    m = result.metrics
    assert m["accuracy@0"] == m["clean_accuracy"]
    assert m["flipped_fraction@0.4"] == pytest.approx(0.4, abs=0.01)
    assert m["accuracy_drop@0.4"] == pytest.approx(m["clean_accuracy"] - m["accuracy@0.4"])
    assert len(result.per_sample["poisoned_label"]) == len(victim.y_train)


def test_rejects_rates_outside_unit_interval(writer):
    with pytest.raises(ConfigError, match="rates"):
        RandomLabelFlip(writer, {"rates": [1.5]})


def test_needs_training_data_write_access():
    api = Target(Position.API_USER, frozenset({Capability.QUERY_ACCESS}))
    with pytest.raises(RequirementError, match="training_data_write"):
        RandomLabelFlip(api)
    wrong_place = Target(Position.API_USER, frozenset({Capability.TRAINING_DATA_WRITE}))
    with pytest.raises(RequirementError, match="position"):
        RandomLabelFlip(wrong_place)
