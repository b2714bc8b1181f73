"""Asynchronous jobs: lifecycle, persistence, bounded queue, refunds on shutdown."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
from service_doubles import Harness, LinearEndpoint, build_app, live

from qmlsec.service.auth import Principal

ROW = [0.1, 0.2, 0.3, 0.4]
ADMIN = Principal("test", "admin", frozenset({"admin"}))


def submit(h: Harness, n: int = 2, **body: object) -> dict:
    r = h.client.post(
        "/v1/jobs", headers=h.user, json={"model_id": "m1", "inputs": [ROW] * n, **body}
    )
    assert r.status_code == 202, r.text
    return r.json()


def test_job_runs_and_its_result_matches_a_synchronous_prediction(harness: Harness) -> None:
    job = submit(harness, 3, shots=100, seed=5)
    assert job["status"] == "queued"
    assert harness.state.jobs.wait()
    done = harness.client.get(f"/v1/jobs/{job['job_id']}", headers=harness.user).json()
    sync = harness.predict([ROW] * 3, shots=100, seed=5).json()
    assert done["status"] == "succeeded" and done["finished_at"] is not None
    assert done["result"]["values"] == sync["values"] and done["result"]["shots"] == 300
    usage = harness.client.get("/v1/usage", headers=harness.user).json()
    assert (usage["requests"], usage["samples"], usage["shots"]) == (2, 6, 600)


def test_jobs_of_another_tenant_answer_like_unknown_jobs(harness: Harness) -> None:
    job = submit(harness)
    _, other = harness.new_key("globex", ["predict"])
    foreign = harness.client.get(f"/v1/jobs/{job['job_id']}", headers={"X-API-Key": other})
    unknown = harness.client.get("/v1/jobs/0123456789abcdef", headers=harness.user)
    assert foreign.status_code == unknown.status_code == 404
    assert foreign.json()["title"] == unknown.json()["title"]
    assert job["job_id"] in foreign.json()["detail"]


def test_invalid_jobs_are_refused_at_submission(harness: Harness) -> None:
    r = harness.client.post(
        "/v1/jobs", headers=harness.user, json={"model_id": "m1", "inputs": [[0.1]]}
    )
    assert r.status_code == 422 and "needs 4 features" in r.json()["detail"]


class GatedEndpoint(LinearEndpoint):
    """Blocks every query until the gate opens."""

    gate = threading.Event()

    def query(self, X: np.ndarray, **kw: object):  # type: ignore[override]
        assert self.gate.wait(10)
        return super().query(X, **kw)  # type: ignore[arg-type]


def gated(h: Harness) -> None:
    record = h.state.registry.get("m1")
    ep = h.state.registry.endpoint(record, "ideal")
    h.state.registry._endpoints[("m1", "ideal")] = GatedEndpoint("m1", ep.W, ep.b)


def test_queue_is_bounded_and_queued_jobs_fail_with_refund_on_shutdown(
    tmp_path: Path, artifact: Path
) -> None:
    GatedEndpoint.gate.clear()
    app = build_app(tmp_path / "svc", job_workers=1, job_queue=3)
    with live(app) as client:
        h = Harness(client, app, artifact)
        gated(h)
        jobs = [submit(h, 2)["job_id"] for _ in range(3)]
        r = client.post("/v1/jobs", headers=h.user, json={"model_id": "m1", "inputs": [ROW]})
        assert r.status_code == 429 and r.json()["reason"] == "queue"
        assert h.state.metrics.value("qmlsec_jobs_pending") == 3
        assert h.state.budget.usage(h.key_id).samples == 6
        state = h.state
        threading.Timer(0.3, GatedEndpoint.gate.set).start()
    # the server stopped: the running job finished, the two queued ones were refunded
    statuses = [state.jobs.get(ADMIN, j).status for j in jobs]
    assert statuses.count("succeeded") == 1 and statuses.count("failed") == 2
    app2 = build_app(tmp_path / "svc")
    assert app2.state.service.budget.usage(h.key_id).samples == 2
    failed = next(j for j, s in zip(jobs, statuses, strict=True) if s == "failed")
    err = app2.state.service.jobs.get(ADMIN, failed).error
    assert err is not None and err.type == "urn:qmlsec:problem:interrupted"
    app2.state.service.close()


def test_jobs_left_pending_by_a_crash_are_failed_and_refunded_at_start(
    tmp_path: Path, artifact: Path
) -> None:
    app = build_app(tmp_path / "svc")
    with live(app) as client:
        h = Harness(client, app, artifact)
        job = submit(h, 4)["job_id"]
        assert h.state.jobs.wait()
    with app.state.service.db.engine.begin() as conn:  # simulate a crash mid-run
        jobs = app.state.service.db.jobs
        conn.execute(jobs.update().where(jobs.c.job_id == job).values(status="running"))
    app2 = build_app(tmp_path / "svc")
    assert app2.state.service.jobs.get(ADMIN, job).status == "failed"
    assert app2.state.service.budget.usage(h.key_id).samples == 0
    app2.state.service.close()
