"""Fixtures of the poisoning tests: small victims trained once, and a data-writer target."""

from __future__ import annotations

import pytest

from qmlsec.attacks import Capability, Position, Target
from qmlsec.testing.victims import Victim, small_victim


@pytest.fixture(scope="session")
def victim() -> Victim:
    return small_victim(epochs=10)


@pytest.fixture
def writer(victim: Victim) -> Target:
    """An untrusted classical cloud that stores the training data (and knows the model)."""
    caps = frozenset({Capability.TRAINING_DATA_WRITE})
    return Target(Position.UNTRUSTED_CLASSICAL_CLOUD, caps, model=victim.model)
