"""The conformance check over every registered attack (other families join automatically)."""

from __future__ import annotations

import pytest

from qmlsec.attacks.registry import available_attacks
from qmlsec.testing import check_attack
from qmlsec.testing.victims import small_victim


@pytest.fixture(scope="module")
def victim():
    return small_victim(epochs=10)


@pytest.mark.parametrize("name", sorted(available_attacks()))
def test_attack_conforms(name, victim):
    setup = victim.setup(name, n_test=30, shots=128)
    result = check_attack(setup, registry_name=name)
    assert result.deployment["position"] == setup.target.position.value
