"""Horizontal (reset) leakage: physics sanity of the channel and the attack."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit.quantum_info import DensityMatrix

from qmlsec.attacks.leakage.reset import ResetLeakage, empirical, reset_channel, reset_residue, tvd
from qmlsec.attacks.targets import Capability, Position, Target
from qmlsec.cloud.providers.hooks import CircuitTransformHook
from qmlsec.testing.clouds import recording_cloud
from qmlsec.testing.victims import small_victim


@pytest.fixture(scope="module")
def victim():
    return small_victim(n_qubits=2, layers=2, epochs=15, classes="0-1")


def target(model):
    caps = frozenset({Capability.SEQUENTIAL_TENANCY})
    return Target(position=Position.CO_TENANT, capabilities=caps, model=model)


@pytest.mark.parametrize("r,c", [(0.0, 0.0), (0.3, 0.0), (0.3, 0.7), (1.0, 1.0)])
def test_reset_channel_is_cptp(r, c):
    assert reset_channel(r, c).is_cptp()


def test_perfect_reset_leaves_ground_state():
    rho = reset_residue(DensityMatrix.from_label("+1"), 0.0)
    assert np.allclose(rho.data, DensityMatrix.from_label("00").data)


@pytest.mark.parametrize("r", [0.01, 0.05, 0.2, 0.5])
def test_basis_state_advantage_matches_r_within_shot_noise(r):
    p0 = reset_residue(DensityMatrix.from_label("0"), r).probabilities()
    p1 = reset_residue(DensityMatrix.from_label("1"), r).probabilities()
    assert tvd(p0, p1) == pytest.approx(r, abs=1e-12)
    shots = 20_000
    gen = np.random.default_rng(0)
    measured = tvd(empirical(p0, shots, gen), empirical(p1, shots, gen))
    assert abs(measured - r) <= 4 * np.sqrt(r * (1 - r) / shots) + 1e-12


def test_coherence_survives_only_when_retained():
    plus = DensityMatrix.from_label("+")
    assert abs(reset_residue(plus, 0.5, 0.0).data[0, 1]) == pytest.approx(0.0)
    assert abs(reset_residue(plus, 0.5, 1.0).data[0, 1]) == pytest.approx(0.25)


def test_attack_has_no_leakage_at_zero_and_grows_with_residual(victim):
    params = {"residuals": (0.0, 0.1, 0.3), "shots": (1000,), "pairs": 4}
    result = ResetLeakage(target(victim.model), params, seed=1).run(victim.context())
    m = result.metrics
    assert m["advantage_r0"] == pytest.approx(0.0, abs=1e-12)
    assert m["measured_advantage_r0_shots1000"] == 0.0
    assert 0 < m["advantage_r0.1"] < m["advantage_r0.3"]
    assert m["basis_state_advantage_r0.3"] == pytest.approx(0.3)
    assert result.provides


def test_attack_is_deterministic_for_a_seed(victim):
    params = {"residuals": (0.2,), "shots": (100,), "pairs": 3}
    runs = [
        ResetLeakage(target(victim.model), params, seed=4).run(victim.context()) for _ in range(2)
    ]
    assert runs[0].metrics == runs[1].metrics


def flip_first_qubit(circuit):
    """A provider's circuit transform: an extra X on logical qubit 0 at the end."""
    out = circuit.copy()
    out.x(0)
    return out


def test_residue_comes_from_the_victims_cloud_job_as_executed(victim):
    X = victim.x_test[:3]
    params = {"residuals": (0.2,), "shots": (100,), "pairs": 2}
    states = {}
    for name, hooks in (("plain", []), ("flipped", [CircuitTransformHook([flip_first_qubit])])):
        cloud = recording_cloud("fake_manila", *hooks)
        cost = cloud.cost
        tgt = Target(Position.CO_TENANT, frozenset({Capability.SEQUENTIAL_TENANCY}),
                     model=victim.model, cloud=cloud)  # fmt: skip
        attack = ResetLeakage(tgt, params, seed=0)
        jobs = attack.victim_jobs(X)
        assert [j.result.job_id for j in jobs] == [r.job_id for r in cloud.history]
        assert cost.total().jobs == 1 and cost.total().circuits == len(X)
        states[name] = [rho.probabilities() for rho in attack.final_states(jobs)]
        qubits = jobs[0].active
    # the provider's X on logical qubit 0 shows up in the residue's input: the marginal of
    # the physical qubit holding it is flipped, the other one is untouched
    assert len(qubits) == 2
    for plain, flipped in zip(states["plain"], states["flipped"], strict=True):
        assert not np.allclose(plain, flipped)
        assert np.isclose(plain.sum(), 1.0) and np.isclose(flipped.sum(), 1.0)
        assert sorted(np.round(plain, 9)) == sorted(np.round(flipped, 9))


@pytest.mark.parametrize(("channel", "expected"), [("incoherent", 0.0), ("coherent", 0.3)])
def test_x_basis_reads_plus_minus_only_through_a_coherent_reset(victim, channel, expected):
    params = {"residuals": (0.3,), "shots": (100,), "pairs": 2, "basis": "X",
              "channel": channel, "victim_measures": False}  # fmt: skip
    result = ResetLeakage(target(victim.model), params, seed=1).run(victim.context())
    m = result.metrics
    assert m["plus_minus_advantage_r0.3"] == pytest.approx(expected, abs=1e-12)
    assert m["basis_state_advantage_r0.3"] == pytest.approx(0.0, abs=1e-12)  # Z populations
    assert any(f"{channel} (c = " in note and "X basis" in note for note in result.notes)


def test_coherence_is_refused_on_an_incoherent_channel_and_defaults_to_one():
    from qmlsec.attacks.leakage.reset import ResetLeakageParams
    from qmlsec.exceptions import ConfigError

    with pytest.raises(ConfigError, match="incoherent"):
        ResetLeakageParams(channel="incoherent", coherence=0.5)
    assert ResetLeakageParams(channel="coherent").retained_coherence == 1.0
    assert ResetLeakageParams(coherence=0.4).retained_coherence == 0.4
    assert ResetLeakageParams().retained_coherence == 0.0
