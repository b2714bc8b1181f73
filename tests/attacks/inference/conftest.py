"""Fixtures of the privacy tests: a well-generalising and an overfit QNN, local endpoints."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from qmlsec.attacks import QueryCounter, Target
from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.local_endpoint import LocalEndpoint
from qmlsec.data import load_dataset, split
from qmlsec.models.classifier import QNNClassifier


@dataclass
class Victim:
    """A fitted model with the splits it was trained and evaluated on."""

    clf: QNNClassifier
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    def ctx(self, **kwargs) -> AttackContext:
        return AttackContext(
            self.x_test, self.y_test, x_train=self.x_train, y_train=self.y_train, **kwargs
        )

    def black_box(self, output: str = "probabilities", **kwargs) -> Target:
        counter = QueryCounter(LocalEndpoint(self.clf), output=output, **kwargs)
        return Target.black_box(counter, output=output)


GENERALISING = {"n_qubits": 4, "layers": 2, "epochs": 15, "lr": 0.1}
OVERFIT = {"n_qubits": 4, "layers": 3, "epochs": 200, "lr": 0.2, "batch_size": 0}


def overfit_recipe(x: np.ndarray, y: np.ndarray, seed: int = 0) -> QNNClassifier:
    """The overfit victim's training recipe (also the shadow models')."""
    return QNNClassifier(**OVERFIT, random_state=seed).fit(x, y)


@pytest.fixture(scope="session")
def recipe():
    """The overfit victim's training recipe, as ``AttackContext.train_victim``."""
    return overfit_recipe


@pytest.fixture(scope="session")
def generalising() -> Victim:
    train, test = split(load_dataset("iris"), test_size=0.3, seed=0)
    clf = QNNClassifier(**GENERALISING, random_state=0).fit(train.X, train.y)
    return Victim(clf, *(np.array(a) for a in (train.X, train.y, test.X, test.y)))


@pytest.fixture(scope="session")
def overfit() -> Victim:
    data = load_dataset("wine")
    train, test = split(data, test_size=0.85, seed=0)
    return Victim(
        overfit_recipe(np.array(train.X), train.y),
        *(np.array(a) for a in (train.X, train.y, test.X, test.y)),
    )
