"""Rate limits, daily budgets and the query monitor, in units and through HTTP."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from service_doubles import Harness, build_app, live

from qmlsec.service.budget import QueryBudget, Usage
from qmlsec.service.db import Database
from qmlsec.service.limits import BudgetExceededError, RateExceededError, RateLimiter
from qmlsec.service.monitor import VolumeMonitor

ROW = [0.1, 0.2, 0.3, 0.4]


def counts(u: Usage) -> tuple[int, int, int, int]:
    return (u.requests, u.samples, u.shots, u.rejected)


class Clock:
    def __init__(self, t: float = 1_700_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def test_sliding_window_admits_per_minute_requests_then_refuses() -> None:
    clock = Clock(0.0)
    limiter = RateLimiter(3, clock=clock)
    remaining = []
    for t in (0.0, 10.0, 20.0):
        clock.t = t
        remaining.append(limiter.hit("k").remaining)
    assert remaining == [2, 1, 0]
    clock.t = 30.0
    with pytest.raises(RateExceededError) as err:
        limiter.hit("k")
    assert err.value.retry_after == 30
    assert limiter.hit("other").remaining == 2
    clock.t = 60.0  # the hit at t=0 left the window, the others did not
    assert limiter.hit("k").remaining == 0


def test_budget_reserves_settles_refunds_and_refuses_exactly() -> None:
    budget = QueryBudget(Database("sqlite://"), daily_samples=10, daily_shots=1000, clock=Clock())
    res = budget.reserve("k", 4, 400)
    budget.settle(res, samples=4, shots=300)
    assert counts(budget.usage("k")) == (1, 4, 300, 0)
    with pytest.raises(BudgetExceededError, match="sample budget"):
        budget.reserve("k", 7, 0)
    with pytest.raises(BudgetExceededError, match="shot budget"):
        budget.reserve("k", 1, 701)
    budget.settle(budget.reserve("k", 6, 700), samples=0, shots=0)
    budget.reject("k")
    assert counts(budget.usage("k")) == (2, 4, 300, 1)


def test_budget_resets_on_the_next_utc_day() -> None:
    clock = Clock(1_700_000_000.0)
    budget = QueryBudget(Database("sqlite://"), daily_samples=2, daily_shots=10, clock=clock)
    budget.reserve("k", 2, 0)
    with pytest.raises(BudgetExceededError) as err:
        budget.reserve("k", 1, 0)
    assert 0 < err.value.retry_after <= 86_400
    clock.t += err.value.retry_after
    assert budget.reserve("k", 2, 0).day != "2023-11-14"


def test_volume_monitor_alerts_past_its_threshold_within_the_window() -> None:
    clock = Clock(0.0)
    mon = VolumeMonitor(max_samples=5, window_s=10, clock=clock)
    assert mon.observe("k", "m", np.zeros((5, 2))) is None
    alert = mon.observe("k", "m", np.zeros((1, 2)))
    assert alert is not None and (alert.score, alert.threshold) == (6.0, 5.0)
    assert mon.observe("k", "other-model", np.zeros((5, 2))) is None
    clock.t = 11.0
    assert mon.observe("k", "m", np.zeros((5, 2))) is None


def test_rate_limit_answers_429_with_retry_after(tmp_path: Path, artifact: Path) -> None:
    app = build_app(tmp_path / "svc", requests_per_minute=5)
    with live(app) as client:
        h = Harness(client, app, artifact)
        codes = [h.predict([ROW]).status_code for _ in range(6)]
        assert codes == [200, 200, 200, 200, 200, 429]  # per key: the admin's don't count
        r = h.predict([ROW])
        problem = r.json()
        assert int(r.headers["retry-after"]) >= 1 and problem["reason"] == "rate"
        assert problem["type"] == "urn:qmlsec:problem:rate-limit"
        assert counts(h.state.budget.usage(h.key_id)) == (5, 5, 0, 2)
        assert h.state.metrics.value("qmlsec_rejected_requests_total", reason="rate") == 2


def test_sample_budget_counts_samples_not_requests(tmp_path: Path, artifact: Path) -> None:
    app = build_app(tmp_path / "svc", daily_samples=10, daily_shots=100)
    with live(app) as client:
        h = Harness(client, app, artifact)
        assert h.predict([ROW] * 6).status_code == 200
        r = h.predict([ROW] * 5)
        assert r.status_code == 429 and r.json()["reason"] == "budget"
        assert "6 of 10 used" in r.json()["detail"]
        assert h.predict([ROW] * 2, shots=50, seed=1).status_code == 200
        r = h.predict([ROW], shots=1)
        assert r.status_code == 429 and "shot budget" in r.json()["detail"]
        usage = client.get("/v1/usage", headers=h.user).json()
        assert (usage["samples"], usage["remaining_samples"], usage["requests"]) == (8, 2, 2)
        assert (usage["shots"], usage["remaining_shots"]) == (100, 0)
        assert usage["rejected"] == 2


def test_monitor_alert_blocks_and_is_counted(tmp_path: Path, artifact: Path) -> None:
    app = build_app(tmp_path / "svc", monitor=VolumeMonitor(max_samples=8))
    with live(app) as client:
        h = Harness(client, app, artifact)
        assert h.predict([ROW] * 8).status_code == 200
        r = h.predict([ROW])
        assert r.status_code == 403 and r.json()["reason"] == "detector"
        assert (
            h.state.metrics.value("qmlsec_extraction_alerts_total", detector="volume", model="m1")
            == 1
        )
        # the refused batch's charge was rolled back: counted as rejected, nothing spent
        assert counts(h.state.budget.usage(h.key_id)) == (1, 8, 0, 1)


def test_monitor_in_log_mode_answers_but_records(tmp_path: Path, artifact: Path) -> None:
    app = build_app(tmp_path / "svc", monitor=VolumeMonitor(max_samples=1), on_alert="log")
    with live(app) as client:
        h = Harness(client, app, artifact)
        assert [h.predict([ROW]).status_code for _ in range(3)] == [200, 200, 200]
        assert (
            h.state.metrics.value("qmlsec_extraction_alerts_total", detector="volume", model="m1")
            == 2
        )


def test_charges_are_committed_when_made_and_survive_without_close(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'u.db'}")
    budget = QueryBudget(db, daily_samples=100, daily_shots=100)
    budget.reserve("k", 5, 10)
    assert budget.store.read([("k", budget.today())])[("k", budget.today())] == [1, 5, 10, 0]
    again = QueryBudget(
        Database(f"sqlite:///{tmp_path / 'u.db'}"), daily_samples=100, daily_shots=100
    )
    assert counts(again.usage("k")) == (1, 5, 10, 0)


def test_replicas_sharing_a_database_never_overspend(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'u.db'}"
    a, b = (QueryBudget(Database(url), daily_samples=10, daily_shots=0) for _ in range(2))
    a.reserve("k", 4, 0)
    b.reserve("k", 4, 0)
    assert counts(a.usage("k")) == counts(b.usage("k")) == (2, 8, 0, 0)
    with pytest.raises(BudgetExceededError, match="8 of 10 used"):
        b.reserve("k", 3, 0)
    assert counts(a.usage("k")) == (2, 8, 0, 0)


def test_a_refused_charge_inside_a_transaction_changes_nothing() -> None:
    db = Database("sqlite://")
    budget = QueryBudget(db, daily_samples=10, daily_shots=10)
    with pytest.raises(RuntimeError), db.write() as conn:
        budget.reserve("k", 4, 0, conn=conn)
        raise RuntimeError("the work was not accepted")
    assert counts(budget.usage("k")) == (0, 0, 0, 0)
