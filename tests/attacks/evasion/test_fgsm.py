"""FGSM on a real QNNClassifier: budget, box and effect."""

from __future__ import annotations

import numpy as np
import pytest

from qmlsec.attacks import Capability, Position, Target
from qmlsec.attacks.evasion.fgsm import FGSM
from qmlsec.exceptions import ConfigError, RequirementError


def test_linf_perturbation_is_exactly_eps_where_the_box_allows(victim, white_box):
    x, y = victim.x_test, victim.y_test
    box = (float(x.min()), float(x.max()))
    radius = 0.05 * (box[1] - box[0])
    x_adv = FGSM(white_box).generate(x, y, eps=radius, box=box)  # raw units (default)
    diff = np.abs(x_adv - x)
    assert diff.max() <= radius + 1e-9
    interior = (x - radius > box[0]) & (x + radius < box[1])
    assert np.allclose(diff[interior], radius)
    assert x_adv.min() >= box[0] and x_adv.max() <= box[1]


def test_l2_perturbation_has_norm_eps_without_clipping(victim, white_box):
    x, y = victim.x_test, victim.y_test
    x_adv = FGSM(white_box, {"norm": "2", "eps_units": "raw"}).generate(
        x, y, eps=0.2, box=(-100.0, 100.0)
    )
    assert np.allclose(np.linalg.norm(x_adv - x, axis=1), 0.2)


def test_run_lowers_accuracy_and_reports_the_curve(victim, white_box):
    result = FGSM(white_box, {"eps": [0.0, 0.1], "eps_units": "box"}).run(victim.context())
    m = result.metrics
    assert m["adversarial_accuracy@0"] == m["clean_accuracy"]
    assert m["adversarial_accuracy@0.1"] < m["clean_accuracy"]
    assert result.curves["robust_accuracy"]["x"] == [0.0, 0.1]
    assert len(result.per_sample["label"]) == len(victim.y_test)
    assert set(result.outputs["adversarial_examples"]) == {0.0, 0.1}


def test_needs_input_gradients():
    api = Target(Position.API_USER, frozenset({Capability.QUERY_ACCESS, Capability.LABELS}))
    with pytest.raises(RequirementError, match="input_gradients"):
        FGSM(api)


def test_rejects_invalid_eps(white_box):
    with pytest.raises(ConfigError, match="eps"):
        FGSM(white_box, {"eps": [-0.1]})
