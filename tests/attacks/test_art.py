"""ART's attacks run unchanged on qmlsec models and agree with qmlsec's own."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("art", reason="adversarial-robustness-toolbox is not installed")

from art.attacks.evasion import FastGradientMethod, ProjectedGradientDescent  # noqa: E402

from qmlsec.attacks import Target  # noqa: E402
from qmlsec.attacks.art_adapter import as_art_classifier  # noqa: E402
from qmlsec.attacks.evasion.fgsm import FGSM  # noqa: E402
from qmlsec.attacks.evasion.pgd import PGD  # noqa: E402
from qmlsec.testing.victims import small_victim  # noqa: E402

TOLERANCE = 0.05  # adversarial accuracy, absolute


@pytest.fixture(scope="module")
def setup():
    victim = small_victim()
    x = victim.x_test
    box = (float(victim.x_train.min()), float(victim.x_train.max()))
    return victim, x, box, as_art_classifier(victim.model, clip_values=box)


def test_predictions_match_the_model(setup):
    victim, x, _, art_clf = setup
    probs = art_clf.predict(x.astype(np.float32))
    assert np.allclose(probs.argmax(1), victim.model.class_index(victim.model.predict(x)))


def test_loss_gradient_matches_the_model(setup):
    victim, x, _, art_clf = setup
    onehot = np.eye(len(victim.model.classes_))[victim.model.class_index(victim.y_test)]
    ours = victim.model.loss_gradient(x, victim.y_test)  # summed cross-entropy
    theirs = art_clf.loss_gradient(x.astype(np.float32), onehot)  # mean cross-entropy
    assert np.allclose(theirs * len(x), ours, rtol=1e-3, atol=1e-5)


@pytest.mark.parametrize("norm", ["inf", "2"])
def test_art_pgd_and_ours_agree(setup, norm):
    victim, x, box, art_clf = setup
    eps, steps = 0.1, 10
    radius = eps * (box[1] - box[0])
    art_pgd = ProjectedGradientDescent(
        art_clf,
        norm=np.inf if norm == "inf" else 2,
        eps=radius,
        eps_step=2.5 * radius / steps,
        max_iter=steps,
        num_random_init=0,
        verbose=False,
    )
    y_idx = victim.model.class_index(victim.y_test)
    x_art = art_pgd.generate(x.astype(np.float32), y=y_idx).astype(np.float64)
    params = {"norm": norm, "steps": steps, "step_ratio": 2.5, "keep_best": False}
    x_ours = PGD(Target.white_box(victim.model), params).generate(
        x, victim.y_test, eps=radius, box=box
    )  # raw units, as ART's eps
    acc_art = victim.model.score(x_art, victim.y_test)
    acc_ours = victim.model.score(x_ours, victim.y_test)
    assert abs(acc_art - acc_ours) <= TOLERANCE, (acc_art, acc_ours)
    assert np.median(np.abs(x_art - x_ours).max(axis=1)) <= 0.05 * radius


def test_art_fgsm_matches_ours(setup):
    victim, x, box, art_clf = setup
    radius = 0.05 * (box[1] - box[0])
    fgm = FastGradientMethod(art_clf, norm=np.inf, eps=radius)
    x_art = fgm.generate(x.astype(np.float32), y=victim.model.class_index(victim.y_test))
    x_ours = FGSM(Target.white_box(victim.model)).generate(x, victim.y_test, eps=radius, box=box)
    assert np.mean(np.isclose(x_art, x_ours, atol=1e-4)) > 0.99
