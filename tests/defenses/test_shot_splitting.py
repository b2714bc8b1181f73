"""Shot splitting over three providers: one tampering provider's damage is diluted."""

from __future__ import annotations

import pytest

from qmlsec.defenses.provider.shot_splitting import ShotSplitting
from qmlsec.exceptions import ConfigError

PARAMS = {"rates": [0.0, 0.2, 0.5], "max_samples": 30, "shots": 300}


@pytest.mark.parametrize("mode", ["bias", "bitflip"])
def test_shot_splitting_dilutes_measurement_tampering(iris_victim, mode):
    v = iris_victim
    ev = v.evaluate(ShotSplitting(seed=0), "tampering.measurement",
                          params={**PARAMS, "mode": mode})  # fmt: skip
    # measured (seed 0): bias 0.40 -> 0.00, bitflip 0.53 -> 0.00
    assert ev.metric == "max_accuracy_drop" and ev.helped
    assert ev.without >= 0.3 and ev.with_defense <= 0.1
    # the tampering provider stands out from the honest ones
    m = ev.results["with"]["metrics"]
    assert m["provider_gap_0.5"] > m["provider_gap_0"] + 0.2


def test_shot_splitting_costs_jobs_and_shots_per_provider(iris_victim):
    v = iris_victim
    ev = v.evaluate(ShotSplitting({"providers": 3}, seed=0), "tampering.measurement",
                    params={**PARAMS, "rates": [0.0]})  # fmt: skip
    assert ev.cost.extra["job_multiplier"] == 3.0
    assert ev.cost.extra["shots_per_provider"] == 100.0
    assert ev.cost.extra_shots == 0
    # fewer shots per provider: clean accuracy stays close to the single-provider run
    assert ev.cost.extra["clean_accuracy_split"] >= 0.7


def test_too_few_shots_to_split_is_a_config_error(iris_victim):
    v = iris_victim
    with pytest.raises(ConfigError):
        v.evaluate(ShotSplitting({"providers": 4}, seed=0), "tampering.measurement",
                   params={**PARAMS, "shots": 3})  # fmt: skip
