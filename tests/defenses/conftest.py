"""Shared fixtures: small trained victims, trained once per session."""

from __future__ import annotations

import pytest

from qmlsec.testing.victims import small_victim


@pytest.fixture(scope="session")
def iris_victim():
    """Iris, 4 qubits, 2 layers, 10 epochs (the conformance victim)."""
    return small_victim(epochs=10)


@pytest.fixture(scope="session")
def digits_victim():
    """Digits 0 and 1 (64 raw pixel features), 4 qubits."""
    return small_victim("digits", classes="0-1", epochs=5)
