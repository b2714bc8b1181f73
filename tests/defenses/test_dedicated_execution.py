"""Dedicated execution: nothing runs beside the victim's jobs."""

from __future__ import annotations

from qmlsec.attacks.registry import get_attack
from qmlsec.defenses.provider.dedicated_execution import DedicatedExecution


def test_readout_crosstalk_leakage_falls_to_zero(iris_victim):
    params = dict(get_attack("leakage.crosstalk").check_params)
    ev = iris_victim.evaluate(DedicatedExecution(seed=0), "leakage.crosstalk", n_test=20,
                              params=params)  # fmt: skip
    assert ev.without > 0.0
    assert ev.with_defense == 0.0
    assert ev.cost.extra["price_multiplier"] > 1.0


def test_every_co_tenant_job_beside_the_victim_is_refused(iris_victim):
    params = {"distances": [1], "strengths": [0.2], "max_samples": 4, "shots": 256}
    ev = iris_victim.evaluate(DedicatedExecution(seed=0), "hardware.crosstalk_injection",
                              n_test=10, params=params)  # fmt: skip
    assert ev.cost.extra["co_jobs"] > 0
    assert ev.cost.extra["refused_co_jobs"] == ev.cost.extra["co_jobs"]
    assert ev.results["with"]["metrics"]["max_output_shift"] == 0.0
