"""Vertical (readout-crosstalk) leakage between concurrent tenants."""

from __future__ import annotations

import pytest

from qmlsec.attacks.leakage.crosstalk import (
    CrosstalkLeakage,
    attacker_distribution,
    coupling_strength,
)
from qmlsec.attacks.targets import Capability, Position, Target
from qmlsec.testing.victims import small_victim


def test_coupling_decays_with_distance_and_vanishes_beyond_range():
    values = [coupling_strength(0.1, d) for d in (1, 2, 3, 4)]
    assert values[0] > values[1] > values[2] > values[3] == 0.0


def test_attacker_distribution_is_affine_in_victim_marginal():
    assert attacker_distribution(0.5, 0.02, 0.0)[1] == pytest.approx(0.02)
    assert attacker_distribution(1.0, 0.02, 0.1)[1] == pytest.approx(0.12)


def test_attack_no_leakage_without_coupling_and_decay_with_distance():
    victim = small_victim(n_qubits=2, layers=2, epochs=15, classes="0-1")
    tgt = Target(
        position=Position.CO_TENANT,
        capabilities=frozenset({Capability.CO_TENANCY}),
        model=victim.model,
    )
    params = {"kappas": (0.0, 0.2), "distances": (1, 2, 3), "pairs": 5}
    m = CrosstalkLeakage(tgt, params, seed=0).run(victim.context()).metrics
    assert all(m[f"advantage_d{d}_k0"] == 0.0 for d in (1, 2, 3))
    assert m["advantage_d1_k0.2"] > m["advantage_d2_k0.2"] > m["advantage_d3_k0.2"] > 0
