"""Durability across restarts and exact counters under concurrent clients."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from service_doubles import ADMIN_KEY, Harness, build_app, live

ROW = [0.1, 0.2, 0.3, 0.4]


def test_a_restart_keeps_keys_models_and_usage(tmp_path: Path, artifact: Path) -> None:
    app = build_app(tmp_path / "svc")
    with live(app) as client:
        h = Harness(client, app, artifact)
        assert h.predict([ROW] * 3, shots=10, seed=0).status_code == 200
        revoked_id, revoked = h.new_key("acme", ["predict"])
        client.delete(f"/admin/keys/{revoked_id}", headers=h.admin)
        before = client.get("/v1/usage", headers=h.user).json()
    app2 = build_app(tmp_path / "svc")
    with live(app2) as client:
        assert [
            m["model_id"] for m in client.get("/v1/models", headers=h.user).json()["models"]
        ] == ["m1"]
        after = client.get("/v1/usage", headers=h.user).json()
        assert after == before
        assert (after["requests"], after["samples"], after["shots"]) == (1, 3, 30)
        assert (
            client.post(
                "/v1/models/m1/predict", headers={"X-API-Key": revoked}, json={"inputs": [ROW]}
            ).status_code
            == 401
        )
        keys = client.get("/admin/keys", headers={"X-API-Key": ADMIN_KEY}).json()["keys"]
        assert len(keys) == 3  # bootstrap admin key created once, not per start
        assert client.get("/readyz").json() == {"status": "ready"}
        ready = client.get("/readyz", headers={"X-API-Key": ADMIN_KEY}).json()
        assert ready == {"status": "ready", "database": True, "models": 1}


def test_concurrent_clients_get_no_errors_and_exact_counters(
    tmp_path: Path, artifact: Path
) -> None:
    app = build_app(tmp_path / "svc")
    clients, per_client, batch = 8, 25, 2
    with live(app) as client:
        h = Harness(client, app, artifact)
        keys = [h.new_key("acme", ["predict"]) for _ in range(clients)]

        def worker(key: str) -> list[int]:
            with httpx.Client(base_url=str(client.base_url), timeout=30) as c:
                return [
                    c.post(
                        "/v1/models/m1/predict",
                        headers={"X-API-Key": key},
                        json={"inputs": [ROW] * batch, "shots": 5},
                    ).status_code
                    for _ in range(per_client)
                ]

        with ThreadPoolExecutor(clients) as pool:
            codes = [code for codes in pool.map(worker, [k for _, k in keys]) for code in codes]
        assert codes == [200] * clients * per_client
        m = h.state.metrics
        total = clients * per_client
        assert (
            m.value(
                "qmlsec_http_requests_total",
                route="/v1/models/{model_id}/predict",
                method="POST",
                status="200",
            )
            == total
        )
        assert m.value("qmlsec_samples_total", model="m1", backend="ideal") == total * batch
        assert m.value("qmlsec_shots_total", model="m1", backend="ideal") == total * batch * 5
        for key_id, _ in keys:
            u = h.state.budget.usage(key_id)
            assert (u.requests, u.samples, u.shots, u.rejected) == (
                per_client,
                per_client * batch,
                per_client * batch * 5,
                0,
            )
    lines = [json.loads(s) for s in h.state.audit.path.read_text().splitlines()]
    predicts = [x for x in lines if x.get("route") == "/v1/models/{model_id}/predict"]
    assert len(predicts) == total and len({x["request_id"] for x in predicts}) == total


def test_concurrent_requests_never_overspend_a_budget(tmp_path: Path, artifact: Path) -> None:
    app = build_app(tmp_path / "svc", daily_samples=50)
    with live(app) as client:
        h = Harness(client, app, artifact)

        def one(_: int) -> int:
            with httpx.Client(base_url=str(client.base_url), timeout=30) as c:
                return c.post(
                    "/v1/models/m1/predict", headers=h.user, json={"inputs": [ROW] * 3}
                ).status_code

        with ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(one, range(40)))
        assert codes.count(200) == 16 and codes.count(429) == 24  # 16 * 3 = 48 <= 50
        u = h.state.budget.usage(h.key_id)
        assert (u.requests, u.samples, u.rejected) == (16, 48, 24)
