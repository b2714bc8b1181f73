"""SPSA against a shot-noisy endpoint: query accounting, seeds, effect."""

from __future__ import annotations

import numpy as np
import pytest

from qmlsec.attacks import Capability, Position, QueryCounter, Target
from qmlsec.attacks.evasion.spsa import SPSA, margin
from qmlsec.attacks.local_endpoint import LocalEndpoint
from qmlsec.exceptions import RequirementError


@pytest.fixture
def black_box(victim) -> Target:
    counter = QueryCounter(LocalEndpoint(victim.model), output="probabilities", shots=256)
    return Target.black_box(counter)


def test_margin_is_negative_exactly_when_misclassified():
    probs = np.array([[0.7, 0.2, 0.1], [0.2, 0.5, 0.3]])
    m = margin(probs, np.array([0, 0]))
    assert m[0] > 0 > m[1]
    assert m[0] == pytest.approx(np.log(0.7 / 0.2))


def test_every_query_and_shot_is_counted(victim, black_box):
    x, y = victim.x_test[:10], victim.y_test[:10]
    params = {"steps": 3, "samples": 4, "early_stop": False}
    SPSA(black_box, params).generate(x, y, eps=0.1)
    stats = black_box.endpoint.stats
    assert (stats.calls, stats.samples) == (3, 3 * 10 * 2 * 4)
    assert stats.shots == 256 * stats.samples
    assert stats.circuits == stats.samples


def test_same_seed_gives_the_same_adversarials_under_shot_noise(victim, black_box):
    x, y = victim.x_test[:8], victim.y_test[:8]
    params = {"steps": 3, "samples": 4}
    a = SPSA(black_box, params, seed=1).generate(x, y, eps=0.1)
    b = SPSA(black_box, params, seed=1).generate(x, y, eps=0.1)
    assert np.array_equal(a, b)


def test_black_box_run_breaks_samples_within_the_budget(victim, black_box):
    ctx = victim.context()
    result = SPSA(
        black_box, {"eps": [0.2], "eps_units": "box", "steps": 15, "samples": 8, "lr": 0.02}
    ).run(ctx)
    m = result.metrics
    assert m["success_rate@0.2"] > 0.2
    box = ctx.x_train.max() - ctx.x_train.min()
    assert max(max(v) for v in result.per_sample["linf"]) <= 0.2 * box + 1e-9
    assert result.queries["samples"] > 0 and result.queries["shots"] > 0


def test_needs_probabilities():
    labels_only = Target(Position.API_USER, frozenset({Capability.QUERY_ACCESS, Capability.LABELS}))
    with pytest.raises(RequirementError, match="probabilities"):
        SPSA(labels_only)
