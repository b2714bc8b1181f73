"""Secret input rotation: the provider recovers rotated rows, not the user's."""

from __future__ import annotations

import numpy as np
import pytest

from qmlsec.defenses.trainer.input_rotation import InputRotation, haar_orthogonal
from qmlsec.exceptions import ConfigError


def test_the_key_is_orthogonal_and_keeps_distances():
    r = haar_orthogonal(5, np.random.default_rng(0))
    np.testing.assert_allclose(r @ r.T, np.eye(5), atol=1e-12)
    rot = InputRotation(seed=0)
    x = np.random.default_rng(1).normal(size=(10, 5))
    rot.fit_transform_key(x)
    d = np.linalg.norm(x[:, None] - x[None], axis=2)
    xr = rot.rotate(x)
    np.testing.assert_allclose(np.linalg.norm(xr[:, None] - xr[None], axis=2), d, atol=1e-12)
    assert not np.allclose(xr, x)


def test_rotating_before_the_key_is_drawn_is_an_error():
    with pytest.raises(ConfigError):
        InputRotation().rotate(np.zeros((1, 2)))


def test_state_prep_theft_recovers_none_of_the_users_rows(iris_victim):
    ev = iris_victim.evaluate(InputRotation(seed=0), "inference.state_prep_theft", n_test=10,
                              params={"max_samples": 20, "shots": 64})  # fmt: skip
    m = ev.results["with"]["metrics"]
    assert ev.without == 1.0
    assert m["encoded_recovered_fraction"] == 1.0  # what the provider saw it still solves
    assert ev.with_defense == 0.0
