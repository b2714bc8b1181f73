"""Substitute extraction against label-only and probability endpoints."""

from __future__ import annotations

import json

import numpy as np
import pytest

from qmlsec.attacks import AttackContext, Target
from qmlsec.attacks.extraction.substitute import SubstituteExtraction
from qmlsec.attacks.targets import Capability, Position
from qmlsec.exceptions import ConfigError, RequirementError

FAST = {"queries": 30, "epochs": 15}


def test_probability_endpoint_is_extracted_with_higher_agreement_than_labels(black_box, ctx):
    params = {"queries": 40, "epochs": 60}
    agreement = {
        out: [
            SubstituteExtraction(black_box(out), params, seed=s).run(ctx).metrics for s in range(3)
        ]
        for out in ("probabilities", "labels")
    }
    prob = np.array([m["substitute_agreement"] for m in agreement["probabilities"]])
    label = np.array([m["substitute_agreement"] for m in agreement["labels"]])
    assert all(m["queries_used"] == 40 for ms in agreement.values() for m in ms)
    assert (prob >= label).all()
    assert prob.mean() > label.mean() + 0.05
    assert prob.mean() > 0.85


def test_agreement_metric_is_computed_from_the_per_sample_records(black_box, ctx):
    result = SubstituteExtraction(black_box("labels"), FAST, seed=1).run(ctx)
    per = result.per_sample
    assert len(per["agrees"]) == len(ctx.y_test)
    assert result.metrics["substitute_agreement"] == pytest.approx(np.mean(per["agrees"]))
    assert result.metrics["substitute_accuracy"] == pytest.approx(
        np.mean(np.array(per["substitute"]) == np.array(per["y_true"]))
    )
    assert result.outputs["substitute"].predict(ctx.x_test[:3]).shape == (3,)
    json.loads(result.to_json())


def test_budget_caps_the_queries_and_shots_are_counted(black_box, ctx):
    target = black_box("probabilities", budget=12, shots=64)
    result = SubstituteExtraction(target, {**FAST, "queries": 100}, seed=0).run(ctx)
    assert result.metrics["queries_used"] == 12 == result.queries["samples"]
    assert result.metrics["shots_used"] == 12 * 64 == result.queries["shots"]
    assert target.endpoint.remaining == 0


def test_exhausted_budget_fails_with_a_clear_error(black_box, ctx):
    with pytest.raises(ConfigError, match="queries possible"):
        SubstituteExtraction(black_box("labels", budget=1), FAST).run(ctx)


def test_without_training_split_half_the_test_split_is_the_query_pool(black_box, iris):
    _, test = iris
    result = SubstituteExtraction(black_box("labels"), FAST, seed=0).run(
        AttackContext(test.X, test.y)
    )
    assert any("pool: test" in note for note in result.notes)
    assert len(result.per_sample["victim"]) == len(test.y) - len(test.y) // 2


def test_same_seed_gives_the_same_result(black_box, ctx):
    a = SubstituteExtraction(black_box("probabilities"), FAST, seed=3).run(ctx)
    b = SubstituteExtraction(black_box("probabilities"), FAST, seed=3).run(ctx)
    assert a.per_sample == b.per_sample


def test_expectation_endpoints_are_refused(black_box, ctx):
    with pytest.raises(ConfigError, match="labels or probabilities"):
        SubstituteExtraction(black_box("expectations"), FAST).run(ctx)


def test_requirements_are_checked_at_construction(victim):
    with pytest.raises(RequirementError, match="position"):
        SubstituteExtraction(Target.white_box(victim))
    no_queries = Target(position=Position.API_USER, capabilities=frozenset({Capability.LABELS}))
    with pytest.raises(RequirementError, match="query_access"):
        SubstituteExtraction(no_queries)
    with pytest.raises(ConfigError, match="queries"):
        SubstituteExtraction(Target.black_box(None), {"queries": 0})
