"""PRADA and query budgets against extraction: detection, false alarms, cost."""

from __future__ import annotations

import numpy as np

from qmlsec.defenses.detector.prada import PRADA
from qmlsec.defenses.detector.query_budget import QueryBudget


def synthetic_queries(seeds: np.ndarray, n: int, step: float, seed: int) -> np.ndarray:
    """Jacobian-augmentation-like queries: small signed steps from earlier queries."""
    gen = np.random.default_rng(seed)
    pool, out = list(seeds), []
    while len(out) < n:
        x = pool[int(gen.integers(len(pool)))]
        new = x + step * np.sign(gen.normal(size=x.shape))
        out.append(new)
        pool.append(new)
    return np.asarray(out)


def first_alarm(detector: PRADA, X: np.ndarray) -> int | None:
    detector.reset()
    for i in range(len(X)):
        if detector.observe("key", "model", X[i : i + 1]) is not None:
            return i + 1
    return None


def test_prada_separates_natural_and_synthetic_streams(digits_victim):
    v = digits_victim
    natural = np.concatenate([v.x_train, v.x_test])
    detector = PRADA()
    detector.labeler = v.model.predict
    for trial in range(3):
        order = np.random.default_rng(trial).permutation(len(natural))[:80]
        assert first_alarm(detector, natural[order]) is None
        synthetic = synthetic_queries(v.x_train[:5], 80, 1.0, trial)
        found = first_alarm(detector, synthetic)
        assert found is not None and found <= 45  # min_queries 30 + a few


def test_prada_alert_has_the_service_monitor_shape(digits_victim):
    detector = PRADA({"min_queries": 10})
    alert = None
    for x in synthetic_queries(digits_victim.x_train[:3], 30, 1.0, 0):
        alert = detector.observe("k", "m", x[None]) or alert
    assert alert is not None
    assert (alert.detector, alert.key_id, alert.model_id) == ("prada", "k", "m")
    assert alert.score < alert.threshold


def test_prada_does_not_see_extraction_from_natural_data(digits_victim):
    # The substitute attack queries samples of the input distribution: PRADA's
    # assumption does not hold, and the evaluation says so.
    v = digits_victim
    ev = v.evaluate(PRADA(), "extraction.substitute",
                          params={"queries": 60, "epochs": 3})  # fmt: skip
    assert ev.cost.extra["false_alarm_on_test_queries"] == 0.0
    assert ev.cost.extra["detected"] == 0.0 and not ev.helped


def test_query_budget_cuts_extraction_and_costs_no_accuracy(iris_victim):
    v = iris_victim
    ev = v.evaluate(QueryBudget({"max_queries": 10}), "extraction.substitute", params={"queries": 60, "epochs": 10})  # fmt: skip
    assert ev.cost.extra["detected"] == 1.0
    assert ev.cost.extra["queries_before_detection"] == 60  # one batch crossed the budget
    assert ev.helped and ev.with_defense < ev.without
    assert ev.cost.accuracy_drop == 0.0
    assert ev.cost.extra["false_alarm_on_test_queries"] == 1.0  # 45 natural > 10 budget
