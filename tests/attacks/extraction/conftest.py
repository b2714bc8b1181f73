"""Fixtures of the extraction tests: a small iris victim behind a local endpoint."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

import numpy as np
import pytest

from qmlsec.attacks import QueryCounter, Target
from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.local_endpoint import LocalEndpoint
from qmlsec.data import load_dataset, split
from qmlsec.models.classifier import QNNClassifier


@pytest.fixture(scope="session")
def iris() -> tuple[SimpleNamespace, SimpleNamespace]:
    """Writable copies of the iris train/test split."""
    parts = split(load_dataset("iris"), test_size=0.3, seed=0)
    return tuple(SimpleNamespace(X=np.array(p.X), y=np.array(p.y)) for p in parts)


@pytest.fixture(scope="session")
def victim(iris) -> QNNClassifier:
    train, _ = iris
    return QNNClassifier(n_qubits=4, layers=2, epochs=15, lr=0.1, random_state=0).fit(
        train.X, train.y
    )


@pytest.fixture(scope="session")
def endpoint(victim) -> LocalEndpoint:
    return LocalEndpoint(victim)


@pytest.fixture
def black_box(victim) -> Callable[..., Target]:
    def make(output: str = "probabilities", budget: int | None = None, shots: int | None = None):
        counter = QueryCounter(LocalEndpoint(victim), output=output, shots=shots, budget=budget)
        return Target.black_box(counter, output=output)

    return make


@pytest.fixture
def ctx(iris) -> AttackContext:
    train, test = iris
    return AttackContext(test.X, test.y, x_train=train.X, y_train=train.y)
