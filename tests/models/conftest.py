"""A small trained classifier shared by the model tests."""

from __future__ import annotations

import pytest

from qmlsec.data import Dataset, load_dataset, split
from qmlsec.models.classifier import QNNClassifier


@pytest.fixture(scope="session")
def iris_split() -> tuple[Dataset, Dataset]:
    return split(load_dataset("iris"), test_size=0.3, seed=0)


@pytest.fixture(scope="session")
def iris_model(iris_split: tuple[Dataset, Dataset]) -> QNNClassifier:
    train, _ = iris_split
    return QNNClassifier(n_qubits=4, layers=2, epochs=15, lr=0.1, random_state=0).fit(
        train.X, train.y
    )
