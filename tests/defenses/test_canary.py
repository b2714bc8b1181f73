"""Canary circuits against result tampering: detection, neutralised drop, extra shots."""

from __future__ import annotations

import pytest

from qmlsec.defenses.provider.canary import CanaryCheck


@pytest.mark.parametrize("mode", ["bias", pytest.param("bitflip", marks=pytest.mark.slow)])
def test_canaries_catch_tampering_and_cost_shots(iris_victim, mode):
    v = iris_victim
    params = {"mode": mode, "rates": [0.0, 0.3, 0.5], "max_samples": 12, "shots": 256}
    ev = v.evaluate(CanaryCheck(seed=0), "tampering.measurement", n_test=20, params=params)  # fmt: skip
    assert ev.with_defense == 0.0
    with_metrics = ev.results["with"]["metrics"]
    threshold = with_metrics["canary_threshold"]
    assert with_metrics["canary_gap_0"] < threshold < with_metrics["canary_gap_0.3"]
    assert ev.cost.extra["alarms"] == 2.0
    assert ev.cost.extra_shots == 4 * 256 * 3
    assert ev.reduction == pytest.approx(ev.without)
    assert ev.helped is ev.reduction_estimate.above(0.0)


def test_threshold_is_what_shot_noise_explains():
    import numpy as np

    from qmlsec.defenses.provider.canary import shot_noise_threshold

    gen = np.random.default_rng(0)
    expected = gen.uniform(-0.8, 0.8, size=(4, 8))
    shots = 256
    threshold = shot_noise_threshold(expected, shots)
    honest = []
    for _ in range(400):  # honest runs: binomial shot noise only
        ones = gen.binomial(shots, (1 - expected) / 2)
        honest.append(np.abs((1 - 2 * ones / shots) - expected).mean())
    assert np.mean(np.array(honest) > threshold) < 0.01
    assert np.mean(honest) < threshold < 2 * np.mean(honest)


def test_noisy_device_canaries_do_not_alarm_on_an_honest_provider(iris_victim):
    v = iris_victim
    params = {"mode": "bias", "rates": [0.0, 0.5], "max_samples": 8, "shots": 512, "noisy": True}
    ev = v.evaluate(CanaryCheck(seed=0), "tampering.measurement", n_test=20, params=params)  # fmt: skip
    m = ev.results["with"]["metrics"]
    assert m["canary_gap_0"] < m["canary_threshold"] < m["canary_gap_0.5"]


def test_the_undefended_run_is_reused_not_run_again(iris_victim, monkeypatch):
    """A defense decorating the undefended outcome gets the recorded run (same metrics as
    running the attack again with the seed) and the attack runs once per evaluation."""
    from qmlsec.attacks.registry import get_attack

    v = iris_victim
    params = {"mode": "bias", "rates": [0.0, 0.5], "max_samples": 8, "shots": 256}
    setup = v.setup("tampering.measurement", n_test=20, params=params)
    rerun, _ = CanaryCheck(seed=0).defended_run(setup, 5)  # runs the attack itself
    reused, _ = CanaryCheck(seed=0).defended_run(setup.replace(undefended=setup.run(5)), 5)
    assert reused.metrics == rerun.metrics
    assert reused.notes == rerun.notes
    other = setup.run(6)
    assert other.metrics != setup.run(5).metrics  # so the next check can tell them apart
    stale, _ = CanaryCheck(seed=0).defended_run(setup.replace(undefended=other), 5)
    assert stale.metrics == rerun.metrics  # another seed's run is not taken

    cls, runs = get_attack("tampering.measurement"), []
    original = cls.run
    monkeypatch.setattr(cls, "run", lambda self, ctx: runs.append(1) or original(self, ctx))
    v.evaluate(CanaryCheck(seed=0), "tampering.measurement", n_test=20, params=params)
    assert len(runs) == 1
