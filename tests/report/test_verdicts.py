"""Verdicts from intervals: made it worse, inconclusive, achieved; shown in JSON and HTML."""

from __future__ import annotations

import copy
import json
from typing import ClassVar

import numpy as np
import pytest

from qmlsec.defenses.evaluate import evaluate_defense
from qmlsec.defenses.postprocessor.base import PostprocessorDefense
from qmlsec.report.build import write_report
from qmlsec.report.posture import annotate
from qmlsec.testing.victims import small_victim

SPSA = {"eps": [0.05], "steps": 2, "samples": 2}


class ConstantAnswer(PostprocessorDefense):
    """A "defense" built to help the attacker: the endpoint answers class 0 to everything."""

    name: ClassVar[str] = "postprocessor.constant_answer"
    mitigation_id: ClassVar[str] = "QML.M0003"

    def __call__(self, probs: np.ndarray) -> np.ndarray:
        out = np.zeros_like(np.asarray(probs, dtype=np.float64))
        out[:, 0] = 1.0
        return out


class PassThrough(PostprocessorDefense):
    """A defense with no effect: the endpoint's answers are returned unchanged."""

    name: ClassVar[str] = "postprocessor.pass_through"
    mitigation_id: ClassVar[str] = "QML.M0003"

    def __call__(self, probs: np.ndarray) -> np.ndarray:
        return np.asarray(probs, dtype=np.float64)


@pytest.fixture(scope="module")
def evaluations():
    v = small_victim(epochs=10)
    split = (v.x_train, v.y_train, v.x_test, v.y_test)
    return {
        kind: evaluate_defense(
            defense, "evasion.spsa", v.deployment(), split, params=SPSA, seed=0
        )  # fmt: skip
        for kind, defense in (("worse", ConstantAnswer()), ("none", PassThrough()))
    }


def test_a_defense_that_strengthens_the_attack_is_made_it_worse(evaluations):
    ev = evaluations["worse"]
    # every answer is class 0: accuracy under attack falls to the share of class 0
    assert ev.with_defense < ev.without and ev.reduction < 0
    assert ev.reduction_estimate.ci[1] < 0 and ev.reduction_estimate.n == 45
    assert ev.reduction_estimate.method == "bootstrap"  # paired over the same 45 inputs
    assert ev.verdict == "made it worse" and not ev.helped


def test_a_defense_without_effect_is_inconclusive(evaluations):
    ev = evaluations["none"]
    assert ev.with_defense == ev.without and ev.reduction == 0.0
    ci = ev.reduction_estimate.ci  # paired: every input answered alike, so [0, 0]
    assert ev.reduction_estimate.method == "bootstrap" and ci[0] <= 0 <= ci[1]
    assert ev.verdict == "inconclusive" and not ev.helped


def test_verdicts_reach_report_json_and_html(assessment, evaluations, tmp_path):
    doc = copy.deepcopy(assessment)
    run = next(r for r in doc["runs"] if r["attack"].startswith("evasion."))
    for ev in evaluations.values():
        record = ev.to_dict()
        record.pop("results")
        record.update(run_id=run["run_id"], technique_id=run["technique_id"], status="ok",
                      error=None)  # fmt: skip
        doc["defenses"].append(record)
    write_report(doc, tmp_path)
    data = json.loads((tmp_path / "report.json").read_text())
    verdicts = {d["defense"]: d.get("verdict") for d in data["defenses"]}
    assert verdicts["postprocessor.constant_answer"] == "made it worse"
    assert verdicts["postprocessor.pass_through"] == "inconclusive"
    worse = data["posture"]["made_worse"]
    assert [d["defense"] for d in worse] == ["postprocessor.constant_answer"]
    assert worse[0]["reduction_ci"][1] < 0
    assert any(i.get("defense") == "postprocessor.pass_through"
               for i in data["posture"]["inconclusive"])  # fmt: skip
    html = (tmp_path / "index.html").read_text()
    alert = html[
        html.index('id="made-worse"') : html.index("</div>", html.index('id="made-worse"'))
    ]
    assert "postprocessor.constant_answer" in alert and "made it worse" in alert
    assert '<span class="verdict-inconclusive">inconclusive</span>' in html
    assert "**made it worse**" in (tmp_path / "report.md").read_text()


def _run(value: float, n: int, attack: str = "extraction.substitute") -> dict:
    from qmlsec.attacks.intervals import metric_intervals
    from qmlsec.campaigns.execute import headline

    metrics = {"substitute_agreement": value}
    per_sample = {"victim": [0] * n, "substitute": [0] * n, "y_true": [0] * n}
    intervals = {k: v.to_dict() for k, v in metric_intervals(metrics, per_sample).items()}
    return {"run_id": "r1", "attack": attack, "technique_id": "QML.T0025", "status": "ok",
            "metrics": metrics, "intervals": intervals,
            "headline": headline(attack, metrics, intervals)}  # fmt: skip


def test_known_counts_give_reference_intervals_in_the_report():
    doc = annotate({"kind": "campaign", "runs": [_run(0.8, 10)]})
    head = doc["runs"][0]["headline"]
    assert head["n"] == 10 and head["ci"] == pytest.approx([0.490, 0.943], abs=5e-4)
    assert head["method"] == "wilson"


@pytest.mark.parametrize(
    ("value", "n", "outcome"),
    [(0.8, 10, "achieved"), (0.3, 10, "inconclusive"), (0.0, 40, "no effect")],
)  # fmt: skip
def test_achieved_only_when_the_interval_clears_chance(value, n, outcome):
    # four classes: chance agreement 0.25; achieved only when the lower bound clears it
    doc = {"kind": "campaign", "victim": {"classes": [0, 1, 2, 3]}, "runs": [_run(value, n)]}
    run = annotate(doc)["runs"][0]
    assert run["threshold"] == 0.25 and run["outcome"] == outcome
    assert run["achieved"] is (outcome == "achieved")


def test_a_path_is_achieved_only_when_every_stage_is():
    runs = [dict(_run(0.8, 40), run_id="r1"), dict(_run(0.3, 10), run_id="r2")]
    stages = [{"technique_id": "QML.T0009", "status": "granted", "runs": []},
              {"technique_id": "QML.T0025", "status": "executed", "runs": ["r1"]},
              {"technique_id": "QML.T0025", "status": "executed", "runs": ["r2"]}]  # fmt: skip
    path = {"profile": "p", "goal": "model_stolen", "score": 1.0, "likelihood": 0.8,
            "stages": stages}  # fmt: skip
    doc = annotate({"kind": "assessment", "victim": {"classes": [0, 1, 2, 3]}, "runs": runs,
                    "paths": [path]})  # fmt: skip
    p = doc["paths"][0]
    assert [s["outcome"] for s in p["stages"]] == ["granted", "achieved", "inconclusive"]
    assert p["achieved"] is False and p["outcome"] == "executed, not achieved"


def test_an_exact_reduction_below_the_minimum_effect_needs_no_more_samples():
    """An exact (zero-width) reduction too small to count as ``helped`` stays
    inconclusive, and no sample size would change that: ``samples_needed`` is None
    (a sample size of 0 would break the report's schema)."""
    from qmlsec.report.posture import _samples_needed

    exact = {"value": 0.003, "n": 1, "ci": [0.003, 0.003], "method": "mover", "level": 0.95}
    assert _samples_needed({"reduction": 0.003, "reduction_estimate": exact}) is None
    wide = {**exact, "n": 20, "ci": [-0.1, 0.106]}
    assert _samples_needed({"reduction": 0.003, "reduction_estimate": wide}) == int(
        np.ceil(20 * (0.103 / 0.003) ** 2)
    )
