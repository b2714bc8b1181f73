"""Gradient inversion of a training batch from the gradients the classical cloud sees."""

from __future__ import annotations

import numpy as np
import pytest

from qmlsec.attacks import Target
from qmlsec.attacks.inference.gradient_inversion import GradientInversion
from qmlsec.attacks.targets import Capability, Position
from qmlsec.exceptions import RequirementError


def cloud(clf) -> Target:
    caps = frozenset({Capability.SHARED_GRADIENTS, Capability.WEIGHTS})
    return Target(position=Position.UNTRUSTED_CLASSICAL_CLOUD, capabilities=caps, model=clf)


@pytest.fixture(scope="module")
def result(generalising):
    params = {"batch_sizes": [1, 4], "steps": 60, "restarts": 2}
    return GradientInversion(cloud(generalising.clf), params, seed=0).run(generalising.ctx())


def test_a_single_sample_is_reconstructed_almost_exactly(result):
    m = result.metrics
    assert m["mse_b1"] < 1e-4
    assert m["cosine_b1"] > 0.99
    assert m["label_accuracy_b1"] == 1.0
    assert m["random_mse_b1"] > 0.1


def test_reconstruction_degrades_as_the_batch_grows(result):
    m = result.metrics
    assert m["mse_b1"] < m["mse_b4"] < m["random_mse_b4"]
    assert result.curves["mse_vs_batch_size"]["x"] == [1, 4]


def test_metrics_come_from_per_sample_records(result):
    sizes = np.asarray(result.per_sample["batch_size"])
    mse = np.asarray(result.per_sample["mse"])
    assert len(sizes) == 5
    assert result.metrics["mse_b4"] == pytest.approx(mse[sizes == 4].mean())


def test_shared_gradients_cover_the_pqc_weights_and_the_head(generalising):
    attack = GradientInversion(cloud(generalising.clf), seed=0)
    grads = attack.shared_gradients(generalising.x_train[:2], generalising.y_train[:2])
    assert set(grads) == {"theta", "head.weight", "head.bias"}
    assert np.isclose(grads["head.bias"].sum(), 0.0)  # softmax rows sum to one
    labels = attack.infer_labels(
        attack.shared_gradients(generalising.x_train[:1], generalising.y_train[:1]), 1
    )
    assert labels.tolist() == [generalising.y_train[0]]


def test_needs_shared_gradients_from_the_classical_cloud(generalising):
    with pytest.raises(RequirementError, match="shared_gradients"):
        GradientInversion(Target.white_box(generalising.clf))
