"""Token-bucket rate limiting on the endpoint and the device queue."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from qmlsec.defenses.provider.rate_limit import RateLimit, RateLimitedEndpoint, TokenBucket
from qmlsec.exceptions import RateLimitError


class Echo:
    n_features, n_classes = 2, 2

    def __init__(self) -> None:
        self.rows = 0

    def query(self, X, **kwargs):
        self.rows += len(X)
        return SimpleNamespace(values=np.zeros((len(X), 2)), shots=0, circuits=len(X))


def test_bucket_refuses_the_query_after_a_full_burst_and_refills_with_time():
    bucket = TokenBucket(rate=2.0, burst=5)
    assert [bucket.take(1, now=0.0) for _ in range(6)] == [True] * 5 + [False]
    assert bucket.take(1, now=0.5)  # one token earned in half a second
    assert not bucket.take(1, now=0.5)
    assert bucket.allowance(10.0) == 25


def test_endpoint_refuses_the_rows_beyond_the_burst_and_runs_nothing_for_them():
    clock = [0.0]
    inner = Echo()
    endpoint = RateLimitedEndpoint(inner, TokenBucket(rate=1.0, burst=4), lambda: clock[0])
    for _ in range(4):
        endpoint.query(np.zeros((1, 2)))
    with pytest.raises(RateLimitError):
        endpoint.query(np.zeros((1, 2)))
    assert inner.rows == 4
    clock[0] = 3.0
    endpoint.query(np.zeros((3, 2)))
    assert inner.rows == 7


def test_victim_workload_passes_the_default_limits():
    assert RateLimit().victim_refusals(50, shots=1024) == 0


def test_queue_limit_refuses_the_flood_and_removes_the_delay(iris_victim):
    params = {"max_samples": 2, "shots": 64, "flood_shots": 20000}
    ev = iris_victim.evaluate(RateLimit(seed=0), "availability.queue_flood", n_test=10,
                              params=params)  # fmt: skip
    assert ev.without > 0
    assert ev.with_defense == 0.0
    assert ev.cost.extra["refused_requests"] == 4  # 2 flood jobs per victim query
    assert ev.cost.extra["victim_refused"] == 0


@pytest.mark.slow
def test_endpoint_limit_caps_the_harvested_bill(iris_victim):
    params = {"max_samples": 4, "shots": 64, "factor": 8.0, "batch": 8}
    ev = iris_victim.evaluate(RateLimit({"burst": 8}, seed=0), "availability.cost_harvest",
                              n_test=10, params=params)  # fmt: skip
    assert ev.with_defense < ev.without
    assert ev.cost.extra["refused_requests"] >= 1
