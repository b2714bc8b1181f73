"""Fixtures of the evasion tests: a small iris victim (4 qubits, 2 layers), trained once."""

from __future__ import annotations

import pytest

from qmlsec.attacks import Target
from qmlsec.testing.victims import Victim, small_victim


@pytest.fixture(scope="session")
def victim() -> Victim:
    return small_victim()


@pytest.fixture
def white_box(victim: Victim) -> Target:
    return Target.white_box(victim.model)
