"""Vertical (readout-crosstalk) leakage between concurrent tenants."""

from __future__ import annotations

import pytest

from qmlsec.attacks.leakage.crosstalk import (
    CrosstalkLeakage,
    attacker_distribution,
    coupling_strength,
)
from qmlsec.attacks.targets import Capability, Position, Target
from qmlsec.cloud.crosstalk import qubit_distances
from qmlsec.cloud.providers.hooks import CircuitTransformHook
from qmlsec.testing.clouds import recording_cloud
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


def flip_first_qubit(circuit):
    """A provider's circuit transform: an extra X on logical qubit 0 at the end."""
    out = circuit.copy()
    out.x(0)
    return out


def test_probe_is_co_scheduled_beside_the_victims_cloud_jobs():
    victim = small_victim(n_qubits=2, layers=2, epochs=15, classes="0-1")
    X = victim.x_test[:4]
    marginals = {}
    for name, hooks in (("plain", []), ("flipped", [CircuitTransformHook([flip_first_qubit])])):
        cloud = recording_cloud("generic_grid_3x3", *hooks)
        cost = cloud.cost
        tgt = Target(Position.CO_TENANT, frozenset({Capability.CO_TENANCY}),
                     model=victim.model, cloud=cloud)  # fmt: skip
        attack = CrosstalkLeakage(tgt, {"shots": 500}, seed=0)
        marginals[name], job = attack.marginals(cloud, X)
        probe = attack.probe(cloud, X, job, 1, 0.5, "test")
        last = cloud.history[-1]
        assert cost.total().jobs == 2 and len(cloud.history) == 2
        assert [c.label for c in last.co_jobs if c.tenant == "attacker"] == ["readout_probe"]
        assert probe.qubits[-1] not in job.active
        edges = cloud.pool[0].coupling_map
        assert qubit_distances(edges, 9)[probe.qubits[-1], job.layout[0]] == 1
        assert len(probe.counts) == len(X)
        assert all(sum(c.values()) == 500 for c in probe.counts)
        # the probe's frequency follows the victim's executed outcomes (within shot noise)
        freq = [c["1"] / 500 for c in probe.counts]
        expected = [0.02 + 0.5 * m for m in marginals[name]]
        assert max(abs(a - b) for a, b in zip(freq, expected, strict=True)) < 0.1
    # the provider's X on the watched logical qubit flips its marginal in what was executed
    assert pytest.approx([1 - p for p in marginals["plain"]], abs=1e-9) == marginals["flipped"]
