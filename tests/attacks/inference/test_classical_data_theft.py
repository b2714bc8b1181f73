"""Training-data theft from the classical store: every training row recovered."""

from __future__ import annotations

import numpy as np

from qmlsec.attacks.facts import TrainingInputs, TrainingLabels
from qmlsec.attacks.inference.classical_data_theft import row_keys
from qmlsec.attacks.inference.state_prep_theft import circuit_inputs
from qmlsec.testing.victims import small_victim


def test_the_whole_training_set_is_recovered_exactly():
    victim = small_victim()
    result = victim.setup("inference.classical_data_theft", n_test=5).run(0)
    m = result.metrics
    n = len(victim.y_train)
    assert m["recovered_fraction"] == 1.0 and m["stolen_rows"] == n
    assert m["stolen_precision"] == 1.0
    est = result.estimates()["recovered_fraction"]
    assert est.n == n and est.ci[0] > 0.95
    inputs = result.facts[TrainingInputs.id]
    assert inputs.space == "encoded"
    np.testing.assert_allclose(inputs.inputs, circuit_inputs(victim.model, victim.x_train))
    np.testing.assert_array_equal(result.facts[TrainingLabels.id].labels, victim.y_train)
    np.testing.assert_array_equal(result.outputs["raw_inputs"], victim.x_train)


def test_row_keys_are_exact():
    x = np.array([[0.1, 0.2], [0.1, 0.2 + 1e-15]])
    a, b = row_keys(x, np.array([0, 0]))
    assert a != b
    assert row_keys(x[:1], np.array([1]))[0] != a
