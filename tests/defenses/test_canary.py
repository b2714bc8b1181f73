"""Canary circuits against result tampering: detection, neutralised drop, extra shots."""

from __future__ import annotations

import pytest

from qmlsec.defenses.evaluate import evaluate_defense
from qmlsec.defenses.provider.canary import CanaryCheck


@pytest.mark.parametrize("mode", ["bias", pytest.param("bitflip", marks=pytest.mark.slow)])
def test_canaries_catch_tampering_and_cost_shots(iris_victim, mode):
    v = iris_victim
    params = {"mode": mode, "rates": [0.0, 0.3, 0.5], "max_samples": 12, "shots": 256}
    ev = evaluate_defense(CanaryCheck(seed=0), "tampering.measurement", v.model,
                          v.context(n_test=20), params=params)  # fmt: skip
    assert ev.with_defense == 0.0
    with_metrics = ev.results["with"]["metrics"]
    assert with_metrics["canary_gap_0"] < 0.25 < with_metrics["canary_gap_0.3"]
    assert ev.cost.extra["alarms"] == 2.0
    assert ev.cost.extra_shots == 4 * 256 * 3
    assert ev.helped is (ev.without > 0.01)
