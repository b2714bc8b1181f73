"""Model inversion: class representatives from the victim's confidence."""

from __future__ import annotations

import numpy as np
import pytest

from qmlsec.attacks import Target
from qmlsec.attacks.inference.model_inversion import ModelInversion
from qmlsec.exceptions import RequirementError


@pytest.fixture(scope="module")
def white(generalising):
    return ModelInversion(Target.white_box(generalising.clf), {"steps": 60}, seed=0).run(
        generalising.ctx()
    )


def test_white_box_inversion_moves_towards_each_true_class_mean(white):
    m = white.metrics
    assert white.notes[0] == "gradient: white-box"
    assert m["mse_to_class_mean"] < m["prior_mse_to_class_mean"]
    assert m["identification_rate"] >= 2 / 3
    assert m["direction_cosine"] > 0.5
    assert m["confidence"] > 0.6


def test_reconstructions_stay_in_the_data_box(white, generalising):
    rec = np.asarray(white.per_sample["reconstruction"])
    assert rec.shape == (3, generalising.x_train.shape[1])
    assert (rec >= generalising.x_train.min(0) - 1e-9).all()
    assert (rec <= generalising.x_train.max(0) + 1e-9).all()
    assert white.metrics["mse_to_class_mean"] == pytest.approx(
        np.mean(white.per_sample["mse_to_class_mean"])
    )


def test_black_box_inversion_spends_counted_queries(generalising):
    steps = 40
    attack = ModelInversion(generalising.black_box(), {"steps": steps, "lr": 0.05}, seed=0)
    result = attack.run(generalising.ctx())
    assert result.notes[0] == "gradient: black-box (SPSA)"
    assert result.queries["samples"] == steps * 2 * 3 + 3
    assert result.metrics["mse_to_class_mean"] < result.metrics["prior_mse_to_class_mean"]


def test_white_box_mode_needs_input_gradients(generalising):
    attack = ModelInversion(generalising.black_box(), {"gradient": "white-box"})
    with pytest.raises(RequirementError, match="input gradients"):
        attack.run(generalising.ctx())
