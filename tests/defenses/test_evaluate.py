"""The with/without evaluation: headline metrics, honest verdicts, JSON output."""

from __future__ import annotations

import json

import pytest

from qmlsec.defenses.evaluate import headline_metric
from qmlsec.defenses.postprocessor.rounding import Rounding
from qmlsec.exceptions import ConfigError


def test_headline_metric_prefix_selection():
    name, value, direction = headline_metric(
        "evasion.pgd", {"adversarial_accuracy@0.1": 0.4, "adversarial_accuracy@0.2": 0.1}
    )
    assert (name, value, direction) == ("adversarial_accuracy@0.2", 0.1, -1)
    with pytest.raises(ConfigError):
        headline_metric("no.such_attack", {})


def test_defense_against_an_undeclared_attack_is_refused(iris_victim):
    v = iris_victim
    with pytest.raises(ConfigError, match="not declared"):
        v.evaluate(Rounding(), "evasion.pgd", n_test=5)


def test_evaluation_is_json_ready_and_reproducible(iris_victim):
    v = iris_victim
    kwargs = {"params": {"queries": 30, "epochs": 3}, "output": "probabilities", "seed": 3}
    a = v.evaluate(Rounding({"decimals": 0}), "extraction.substitute", **kwargs)  # fmt: skip
    b = v.evaluate(Rounding({"decimals": 0}), "extraction.substitute", **kwargs)  # fmt: skip
    data = json.loads(json.dumps(a.to_dict()))
    assert data["verdict"] in ("helped", "inconclusive", "made it worse")
    assert data["results"]["with"]["attack"] == "extraction.substitute"
    assert (a.without, a.with_defense) == (b.without, b.with_defense)
    assert a.delta == pytest.approx(a.with_defense - a.without)


def _result(agreement: float, n: int = 100):
    from qmlsec.attacks.result import AttackResult

    return AttackResult("extraction.substitute", "QML.T0025", {}, 0,
                        metrics={"substitute_agreement": agreement},
                        per_sample={"victim": [0] * n, "substitute": [0] * n, "y_true": [0] * n})  # fmt: skip


@pytest.mark.parametrize(
    ("extra", "after", "verdict", "detected"),
    [
        ({"detected": 1.0}, 0.9, "detected", True),
        ({"detected": 0.0}, 0.9, "inconclusive", False),
        ({}, 0.9, "inconclusive", None),
        ({"detected": 1.0}, 0.5, "detected", True),
        ({"detected": 0.0}, 0.5, "helped", False),
        ({}, 0.99, "made it worse", None),
        ({}, 0.85, "inconclusive", None),
    ],
)
def test_detection_verdict(extra, after, verdict, detected):
    from qmlsec.defenses.base import DefenseCost
    from qmlsec.defenses.evaluate import compare

    ev = compare(Rounding(), "extraction.substitute", _result(0.9), _result(after),
                 DefenseCost(extra=dict(extra)), seed=0)  # fmt: skip
    assert (ev.verdict, ev.detected) == (verdict, detected)
    assert ev.to_dict()["verdict"] == verdict and ev.to_dict()["detected"] == detected


def test_reduction_interval_is_newcombe_for_two_rates():
    from qmlsec.defenses.base import DefenseCost
    from qmlsec.defenses.evaluate import compare
    from qmlsec.stats import difference, wilson

    ev = compare(Rounding(), "extraction.substitute", _result(0.9), _result(0.5), DefenseCost(),
                 seed=0)  # fmt: skip
    assert ev.reduction_estimate.ci == pytest.approx(
        difference(wilson(90, 100), wilson(50, 100)).ci
    )
    data = ev.to_dict()
    assert data["without_estimate"]["n"] == 100 and data["reduction_estimate"]["method"] == "mover"


def test_without_samples_a_change_is_inconclusive():
    from qmlsec.attacks.result import AttackResult
    from qmlsec.defenses.base import DefenseCost
    from qmlsec.defenses.evaluate import compare

    bare = [AttackResult("extraction.substitute", "QML.T0025", {}, 0,
                         metrics={"substitute_agreement": v}) for v in (0.9, 0.1)]  # fmt: skip
    ev = compare(Rounding(), "extraction.substitute", *bare, DefenseCost(), seed=0)
    assert ev.reduction == pytest.approx(0.8) and ev.verdict == "inconclusive" and not ev.helped
