"""The conformance check over every registered attack (other families join automatically)."""

from __future__ import annotations

import pytest

from qmlsec.attacks.harness import target_for
from qmlsec.attacks.registry import available_attacks
from qmlsec.exceptions import RequirementError
from qmlsec.testing import check_attack
from qmlsec.testing.victims import small_victim


@pytest.fixture(scope="module")
def victim():
    return small_victim(epochs=10)


@pytest.mark.parametrize("name", sorted(available_attacks()))
def test_attack_conforms(name, victim):
    attack_cls = available_attacks()[name]
    try:
        target = target_for(attack_cls, victim.model, shots=128)
    except RequirementError as err:
        pytest.skip(f"no target for {name} outside a simulated deployment: {err.message}")
    check_attack(attack_cls, target, victim.context(n_test=30), registry_name=name)
