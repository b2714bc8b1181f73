"""A black-box extraction attack run against the live HTTP service.

The attacker holds a predict key and queries uniformly drawn inputs through
:class:`~qmlsec.service.client.ServiceEndpoint` (the ``Endpoint`` contract over HTTP),
counted by the library's :class:`~qmlsec.attacks.queries.QueryCounter`, then fits a
substitute on the returned labels. Unbounded, it steals the model; the daily sample
budget and the query monitor stop it at exactly their thresholds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from service_doubles import Harness, build_app, live, write_double
from sklearn.linear_model import LogisticRegression

from qmlsec.attacks.queries import QueryCounter
from qmlsec.exceptions import DetectionError, QmlsecError, RateLimitError
from qmlsec.service.client import ServiceEndpoint
from qmlsec.service.monitor import VolumeMonitor

PLANNED, BATCH = 600, 20


def steal(endpoint: ServiceEndpoint) -> tuple[QueryCounter, LogisticRegression, Exception | None]:
    """Query up to PLANNED uniform samples, stopping at the first refusal; fit a substitute."""
    rng = np.random.default_rng(0)
    lo, hi = endpoint.feature_range or (0.0, 1.0)
    counter = QueryCounter(endpoint, output="labels")
    xs, ys, stopped = [], [], None
    while counter.stats.samples < PLANNED:
        X = rng.uniform(lo, hi, size=(BATCH, endpoint.n_features))
        try:
            ys.append(counter.query(X))
        except QmlsecError as err:
            stopped = err
            break
        xs.append(X)
    substitute = LogisticRegression(max_iter=5000).fit(np.vstack(xs), np.concatenate(ys))
    return counter, substitute, stopped


def run(tmp: Path, artifact: Path, **overrides: object):
    """Serve the double, run the attack over HTTP, measure the substitute's agreement."""
    app = build_app(tmp, **overrides)
    with live(app) as client:
        h = Harness(client, app, artifact)
        endpoint = ServiceEndpoint(str(client.base_url), h.user["X-API-Key"], "m1", client=client)
        counter, substitute, stopped = steal(endpoint)
        victim = h.state.registry.endpoint(h.state.registry.get("m1"), "ideal")
        X_test = np.random.default_rng(1).uniform(0, 1, size=(2000, victim.n_features))
        truth = victim.query(X_test, output="labels").values
        fidelity = float((substitute.predict(X_test) == truth).mean())
        return counter, fidelity, stopped, h.state.budget.usage(h.key_id), h.state.metrics


@pytest.fixture(scope="module")
def unbounded(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("unbounded")
    return run(tmp / "svc", write_double(tmp / "artifacts" / "double"))


def test_unbounded_extraction_over_http_steals_the_model(unbounded) -> None:
    counter, fidelity, stopped, usage, _ = unbounded
    assert stopped is None and counter.stats.samples == PLANNED
    assert (usage.samples, usage.requests) == (PLANNED, PLANNED // BATCH)
    assert fidelity >= 0.95


def test_daily_budget_stops_the_extraction_at_its_limit(
    tmp_path: Path, artifact: Path, unbounded
) -> None:
    full = unbounded[1]
    counter, fidelity, stopped, usage, metrics = run(tmp_path / "svc", artifact, daily_samples=60)
    assert isinstance(stopped, RateLimitError) and "sample budget" in stopped.message
    assert counter.stats.samples == usage.samples == 60
    assert (usage.requests, usage.rejected) == (3, 1)
    assert metrics.value("qmlsec_rejected_requests_total", reason="budget") == 1
    assert fidelity < full


def test_query_monitor_stops_the_extraction(tmp_path: Path, artifact: Path) -> None:
    counter, _, stopped, usage, metrics = run(
        tmp_path / "svc", artifact, monitor=VolumeMonitor(max_samples=100)
    )
    assert isinstance(stopped, DetectionError) and "volume" in stopped.message
    assert counter.stats.samples == usage.samples == 100
    assert metrics.value("qmlsec_extraction_alerts_total", detector="volume", model="m1") == 1


def test_prada_monitor_stops_synthetic_extraction_queries_but_not_natural_ones(
    tmp_path: Path, artifact: Path
) -> None:
    """PRADA (defenses layer) plugged into the service through ``make_monitor``."""
    from qmlsec.service.monitor import make_monitor

    rng = np.random.default_rng(3)

    def natural(n_features: int) -> np.ndarray:
        return rng.uniform(0, 1, size=(BATCH, n_features))

    def synthetic(n_features: int, seeds: list[np.ndarray]) -> np.ndarray:
        # Jacobian-augmentation-style: tiny steps away from a few seed points
        base = seeds[rng.integers(len(seeds))]
        return np.clip(base + 0.01 * rng.choice([-1.0, 1.0], size=(BATCH, n_features)), 0, 1)

    outcomes = {}
    for name in ("natural", "synthetic"):
        app = build_app(tmp_path / name, monitor=make_monitor("prada"))
        with live(app) as client:
            h = Harness(client, app, artifact)
            endpoint = ServiceEndpoint(
                str(client.base_url), h.user["X-API-Key"], "m1", client=client
            )
            counter = QueryCounter(endpoint, output="labels")
            seeds = [rng.uniform(0, 1, size=endpoint.n_features) for _ in range(3)]
            stopped = None
            while counter.stats.samples < 200 and stopped is None:
                X = (
                    natural(endpoint.n_features)
                    if name == "natural"
                    else synthetic(endpoint.n_features, seeds)
                )
                try:
                    counter.query(X)
                except DetectionError as err:
                    stopped = err
            outcomes[name] = (stopped, counter.stats.samples, h.state.metrics)
    assert outcomes["natural"][0] is None and outcomes["natural"][1] == 200
    stopped, samples, metrics = outcomes["synthetic"]
    assert isinstance(stopped, DetectionError) and samples < 200
    assert metrics.value("qmlsec_extraction_alerts_total", detector="prada", model="m1") >= 1
