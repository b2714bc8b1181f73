"""QNNClassifier: scikit-learn behaviour, input gradients through the whole pipeline."""

from __future__ import annotations

import numpy as np
import pytest

from qmlsec.exceptions import ConfigError, DataError
from qmlsec.models.classifier import QNNClassifier


def test_learns_iris(iris_model, iris_split):
    _, test = iris_split
    assert iris_model.score(test.X, test.y) >= 0.85
    assert len(iris_model.history_) == 15
    assert iris_model.history_[-1]["loss"] < iris_model.history_[0]["loss"]


def test_probabilities_are_distributions_and_match_predict(iris_model, iris_split):
    _, test = iris_split
    proba = iris_model.predict_proba(test.X)
    assert proba.shape == (len(test.X), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_array_equal(iris_model.classes_[proba.argmax(1)], iris_model.predict(test.X))


def test_loss_gradient_matches_finite_differences_on_raw_features(iris_model, iris_split):
    import torch

    _, test = iris_split
    X, y = test.X[:3], test.y[:3]
    grad = iris_model.loss_gradient(X, y)
    assert grad.shape == X.shape

    def loss(Xv: np.ndarray) -> float:
        p = iris_model.predict_proba(Xv)
        return float(-np.log(p[np.arange(len(y)), iris_model.class_index(y)]).sum())

    h = 1e-6
    fd = np.zeros_like(X)
    for i in range(X.shape[0]):
        for j in range(X.shape[1]):
            up, down = X.copy(), X.copy()
            up[i, j] += h
            down[i, j] -= h
            fd[i, j] = (loss(up) - loss(down)) / (2 * h)
    np.testing.assert_allclose(grad, fd, rtol=1e-5, atol=1e-7)
    assert torch.get_default_dtype() == torch.float32  # global default untouched


def test_same_seed_same_model_and_different_seed_differs(iris_split):
    train, test = iris_split
    kw = {"n_qubits": 4, "layers": 1, "epochs": 2, "lr": 0.1}
    a = QNNClassifier(random_state=3, **kw).fit(train.X, train.y).predict_proba(test.X)
    b = QNNClassifier(random_state=3, **kw).fit(train.X, train.y).predict_proba(test.X)
    c = QNNClassifier(random_state=4, **kw).fit(train.X, train.y).predict_proba(test.X)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_unfitted_model_refuses_to_predict():
    with pytest.raises(ConfigError, match="not fitted"):
        QNNClassifier().predict(np.zeros((1, 4)))


def test_bad_inputs_are_rejected_with_clear_errors(iris_model):
    with pytest.raises(DataError, match=r"shape \(n, 4\)"):
        iris_model.predict(np.zeros((2, 3)))
    with pytest.raises(DataError, match="NaN"):
        QNNClassifier(n_qubits=2, epochs=1).fit(np.array([[np.nan, 1.0], [0, 1]]), np.array([0, 1]))
    with pytest.raises(DataError, match="unknown label"):
        iris_model.class_index(np.array([7]))


def test_params_round_trip_and_unknown_params_fail():
    clf = QNNClassifier(layers=5)
    assert clf.get_params()["layers"] == 5
    assert clf.set_params(lr=0.2).lr == 0.2
    with pytest.raises(ConfigError, match="unknown parameter"):
        clf.set_params(depth=3)


@pytest.mark.slow
def test_default_digits_model_reaches_target_accuracy():
    """digits 0-3, PCA -> 8, 8 qubits, 3 layers, exact: test accuracy >= 0.95."""
    from qmlsec.data import load_dataset, split

    train, test = split(load_dataset("digits", classes=(0, 1, 2, 3)), test_size=0.25, seed=0)
    clf = QNNClassifier(n_qubits=8, layers=3, epochs=30, random_state=0).fit(train.X, train.y)
    assert clf.score(test.X, test.y) >= 0.95
