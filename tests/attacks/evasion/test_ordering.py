"""The orderings every robust-accuracy curve must show on real models (fixed seeds)."""

from __future__ import annotations

import numpy as np
import pytest

from qmlsec.attacks import Target
from qmlsec.attacks.evasion.fgsm import FGSM
from qmlsec.attacks.evasion.pgd import PGD
from qmlsec.testing.victims import small_victim

EPS = [0.02, 0.05, 0.1, 0.2]


def _curves(victim, norm: str) -> tuple[np.ndarray, np.ndarray]:
    target = Target.white_box(victim.model)
    params = {"eps": EPS, "eps_units": "box", "norm": norm}
    fgsm = FGSM(target, params).run(victim.context())
    pgd = PGD(target, {**params, "steps": 10}).run(victim.context())
    acc = [np.array(r.curves["robust_accuracy"]["y"]) for r in (fgsm, pgd)]
    return acc[0], acc[1]


def _assert_orderings(fgsm: np.ndarray, pgd: np.ndarray) -> None:
    # FGSM's single full-size step can overshoot (the angle encoding is periodic), so
    # its curve need not be monotone; PGD's must be, and never above FGSM's.
    assert np.all(pgd <= fgsm), (fgsm, pgd)
    assert np.all(np.diff(pgd) <= 0), pgd


def test_pgd_never_leaves_more_accuracy_than_fgsm_and_accuracy_falls_with_eps(victim):
    _assert_orderings(*_curves(victim, "inf"))


@pytest.mark.slow
@pytest.mark.parametrize("norm", ["inf", "2"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_orderings_hold_on_digits_models(norm, seed):
    victim = small_victim("digits", classes="0-3", n_qubits=6, layers=2, epochs=20, seed=seed)
    _assert_orderings(*_curves(victim, norm))
