"""BIM, PGD and MIM on a real QNNClassifier: budget, seeds, strength."""

from __future__ import annotations

import numpy as np
import pytest

from qmlsec.attacks.evasion.bim import BIM
from qmlsec.attacks.evasion.mim import MIM
from qmlsec.attacks.evasion.pgd import PGD

BOX = (0.0, 8.0)
BOXED = {"eps_units": "box"}  # eps as a fraction of the box width


@pytest.mark.parametrize("cls", [BIM, PGD, MIM])
@pytest.mark.parametrize("norm", ["inf", "2"])
def test_stays_in_the_ball_and_the_box(victim, white_box, cls, norm):
    x, y = victim.x_test, victim.y_test
    x_adv = cls(white_box, {**BOXED, "norm": norm, "steps": 4, "random_start": True}).generate(
        x, y, eps=0.1, box=BOX
    )
    diff = x_adv - x
    size = np.abs(diff).max(axis=1) if norm == "inf" else np.linalg.norm(diff, axis=1)
    assert size.max() <= 0.1 * 8.0 + 1e-9
    assert x_adv.min() >= BOX[0] and x_adv.max() <= BOX[1]


def test_random_start_is_reproducible_from_the_seed(victim, white_box):
    x, y = victim.x_test[:10], victim.y_test[:10]
    params = {**BOXED, "random_start": True, "steps": 2}
    a = PGD(white_box, params, seed=3).generate(x, y, eps=0.1, box=BOX)
    b = PGD(white_box, params, seed=3).generate(x, y, eps=0.1, box=BOX)
    c = PGD(white_box, params, seed=4).generate(x, y, eps=0.1, box=BOX)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_keeping_the_best_iterate_never_raises_the_loss_above_the_last(victim, white_box):
    x, y = victim.x_test, victim.y_test
    model = victim.model
    best = PGD(white_box, {**BOXED, "steps": 5}).generate(x, y, eps=0.1, box=BOX)
    last = PGD(white_box, {**BOXED, "steps": 5, "keep_best": False}).generate(
        x, y, eps=0.1, box=BOX
    )
    wrong_best = model.predict(best) != y
    wrong_last = model.predict(last) != y
    assert np.all(wrong_best | ~wrong_last)


def test_momentum_changes_the_path(victim, white_box):
    x, y = victim.x_test, victim.y_test
    mim = MIM(white_box, {**BOXED, "steps": 5}).generate(x, y, eps=0.1, box=BOX)
    bim = BIM(white_box, {**BOXED, "steps": 5}).generate(x, y, eps=0.1, box=BOX)
    assert not np.allclose(mim, bim)
    assert np.mean(victim.model.predict(mim) != y) > 0
