"""Readout observables and head choice on QNNClassifier: sign of <Z0>, one score per class."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from qmlsec.data import load_dataset, split
from qmlsec.exceptions import ConfigError
from qmlsec.models.classifier import QNNClassifier
from qmlsec.models.persist import load_classifier, save_classifier


@pytest.fixture(scope="module")
def binary():
    train, test = split(load_dataset("iris", classes=[0, 1]), test_size=0.3, seed=0)
    return train, test


def test_no_head_predicts_the_sign_of_z0(binary):
    train, test = binary
    clf = QNNClassifier(n_qubits=2, layers=1, readout=("IZ",), head="none", head_scale=3.0,
                        epochs=8, lr=0.1, random_state=0).fit(train.X, train.y)  # fmt: skip
    assert not list(clf.model_.head.parameters())  # nothing trainable after the circuit
    z0 = clf.expectations(test.X)[:, 0]
    expected = np.where(z0 > 0, clf.classes_[0], clf.classes_[1])
    assert np.array_equal(clf.predict(test.X), expected)
    assert clf.score(test.X, test.y) > 0.8
    logits = clf.decision_function(test.X)
    assert np.allclose(logits, 3.0 * np.stack([z0, -z0], axis=1))


def test_one_observable_per_class_takes_the_largest(binary):
    train, _ = binary
    clf = QNNClassifier(n_qubits=2, layers=1, readout=("IZ", "ZI"), head="none",
                        epochs=1, random_state=0).fit(train.X, train.y)  # fmt: skip
    exp = clf.expectations(train.X)
    assert np.array_equal(clf.predict(train.X), clf.classes_[exp.argmax(axis=1)])


def test_readout_reaches_the_circuit_observables():
    clf = QNNClassifier(n_qubits=3, readout=("IIX", "ZZI"))
    labels = [op.paulis[0].to_label() for op in clf.spec().observables()]
    assert labels == ["IIX", "ZZI"] and clf.get_params()["readout"] == ("IIX", "ZZI")


def test_a_head_that_cannot_score_every_class_is_refused_before_training():
    X = np.random.default_rng(0).normal(size=(30, 3))
    y = np.repeat([0, 1, 2], 10)
    clf = QNNClassifier(n_qubits=3, readout=("IIZ",), head="none", epochs=1)
    with pytest.raises(ConfigError, match="one readout observable per class"):
        clf.fit(X, y)
    with pytest.raises(ConfigError, match="unknown head"):
        QNNClassifier(n_qubits=2, head="mlp", epochs=1).fit(X[:20, :2], y[:20] % 2)


def test_readout_and_head_survive_save_and_load(binary, tmp_path):
    train, test = binary
    clf = QNNClassifier(n_qubits=2, layers=1, readout=("IZ",), head="none",
                        epochs=1, random_state=0).fit(train.X, train.y)  # fmt: skip
    back = load_classifier(save_classifier(clf, tmp_path / "m"))
    assert back.head == "none" and back.readout == ("IZ",)
    assert np.allclose(back.decision_function(test.X), clf.decision_function(test.X))
    with torch.no_grad():
        assert back.model_.head.out_features == 2


def test_train_cli_sets_readout_and_head(tmp_path):
    import json

    from typer.testing import CliRunner

    from qmlsec.cli.main import app

    out = tmp_path / "model"
    args = ["train", "--dataset", "iris", "--classes", "0,1", "--qubits", "2", "--layers", "1",
            "--epochs", "2", "--readout", "IZ", "--head", "none", "--out", str(out), "--json"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["spec"]["readout"] == ["IZ"]
    clf = load_classifier(out / "model")
    assert clf.head == "none" and not list(clf.model_.head.parameters())
