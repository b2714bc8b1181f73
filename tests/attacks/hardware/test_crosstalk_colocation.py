"""Crosstalk injection places its CNOT pair from a supplied colocation (else the oracle)."""

from __future__ import annotations

import numpy as np

from qmlsec.attacks.facts import Colocation
from qmlsec.attacks.hardware.crosstalk_injection import CoTenantHook, CrosstalkInjection
from qmlsec.attacks.targets import Capability, Position, Target
from qmlsec.cloud.devices import get_device
from qmlsec.cloud.providers.jobs import Placement, QuantumJob
from qmlsec.testing.victims import small_victim


def hook_pair(colocation: tuple[int, ...] | None) -> tuple[CoTenantHook, list]:
    dev = get_device("generic_line_7")  # 0-1-2-3-4-5-6; the victim truly on (0, 1)
    hook = CoTenantHook(1, colocation)
    job = QuantumJob("victim", object(), np.zeros((1, 0)))  # type: ignore[arg-type]
    return hook, hook.co_schedule(job, Placement(dev, (0, 1), (0, 1), (2,)))


def test_pair_is_placed_relative_to_the_supplied_colocation():
    hook, jobs = hook_pair(None)  # oracle: next to the true placement
    assert [j.qubits for j in jobs] == [(2, 3)] and hook.true_distances == [1.0]
    hook, jobs = hook_pair((5,))  # estimate (5,): the pair next to it, two hops from the truth
    assert [j.qubits for j in jobs] == [(3, 4)] and hook.true_distances == [2.0]
    hook, jobs = hook_pair((3,))  # a pair on the victim's qubits cannot run beside it
    assert hook.pairs == [(1, 2)] and jobs == [] and hook.true_distances == [float("inf")]


def test_attack_uses_the_colocation_from_an_earlier_stage():
    victim = small_victim(n_qubits=2, layers=2, epochs=15, classes="0-1")
    tgt = Target(Position.CO_TENANT, frozenset({Capability.CO_TENANCY}), model=victim.model)
    params = {"distances": (1,), "strengths": (0.0, 0.8), "shots": 1000, "max_samples": 6}
    oracle = CrosstalkInjection(tgt, params, seed=0).run(victim.context())
    right = CrosstalkInjection(tgt, params, seed=0).run(
        victim.context(Colocation("fake_manila", (0, 1)))
    )
    wrong = CrosstalkInjection(tgt, params, seed=0).run(
        victim.context(Colocation("fake_manila", (13, 14)))
    )
    assert oracle.metrics["oracle_placement"] == 1.0 and right.metrics["oracle_placement"] == 0.0
    assert right.metrics["output_shift_d1_s0.8"] == oracle.metrics["output_shift_d1_s0.8"] > 0
    assert wrong.metrics["true_distance_d1"] > 3  # beyond the crosstalk range: no effect
    assert wrong.metrics["output_shift_d1_s0.8"] == 0.0
    assert any("estimated colocation (13, 14)" in n for n in wrong.notes)
