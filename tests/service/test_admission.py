"""Admission before the body: size limits, authentication first, per-key concurrency.

Also the key lifecycle guards (expiry, the last admin key) and hostile paths.
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import httpx
import numpy as np
from service_doubles import (
    ADMIN_KEY,
    DoubleLoader,
    Harness,
    LinearEndpoint,
    build_app,
    live,
    make_settings,
)

from qmlsec.service.app import create_app

ROW = [0.1, 0.2, 0.3, 0.4]
LIMIT = 64 * 1024


def raw_request(client: httpx.Client, head: str, body: bytes) -> tuple[int, bytes, float]:
    """Send ``head`` and ``body`` on a fresh socket; (status, response, seconds to answer)."""
    url = client.base_url
    with socket.create_connection((url.host, url.port), timeout=10) as sock:
        t0 = time.perf_counter()
        sock.sendall(head.encode() + body)
        data = b""
        while b"\r\n\r\n" not in data or not data.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        seconds = time.perf_counter() - t0
    return int(data.split(b" ", 2)[1]), data, seconds


def test_an_oversized_unauthenticated_body_gets_413_at_once_and_health_stays_up(
    tmp_path: Path,
) -> None:
    app = build_app(tmp_path / "svc", max_body_bytes=LIMIT)
    with live(app) as client:
        size = 26 * 2**20  # declared, never sent: the server must not wait for it
        head = (
            "POST /v1/models/m1/predict HTTP/1.1\r\nHost: t\r\n"
            f"Content-Type: application/json\r\nContent-Length: {size}\r\n\r\n"
        )
        status, answer, seconds = raw_request(client, head, b'{"inputs": [[' + b"0.5," * 4096)
        assert status == 413 and seconds < 2
        assert b"application/problem+json" in answer and b"exceeds the limit" in answer
        t0 = time.perf_counter()
        assert client.get("/healthz").status_code == 200
        assert time.perf_counter() - t0 < 1
    assert app.state.service.metrics.value("qmlsec_rejected_requests_total", reason="size") == 1


def test_a_chunked_body_past_the_limit_is_cut_off_with_413(tmp_path: Path, artifact: Path) -> None:
    app = build_app(tmp_path / "svc", max_body_bytes=LIMIT)
    with live(app) as client:
        h = Harness(client, app, artifact)
        chunk = b"1" * 8192
        body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(16)) + b"0\r\n\r\n"
        head = (
            "POST /v1/models/m1/predict HTTP/1.1\r\nHost: t\r\n"
            f"X-API-Key: {h.user['X-API-Key']}\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        status, _, _ = raw_request(client, head, body)
        assert status == 413
        assert h.predict([ROW]).status_code == 200  # the key's slot was given back


def test_the_key_is_checked_before_the_body_is_parsed(harness: Harness) -> None:
    r = harness.client.post(
        "/v1/models/m1/predict",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 401 and r.json()["reason"] == "auth"
    r = harness.client.post(
        "/v1/models/m1/predict",
        content=b"{not json",
        headers={**harness.user, "Content-Type": "application/json"},
    )
    assert r.status_code == 422


class GatedLoader(DoubleLoader):
    """Endpoints that block every query until ``gate`` opens."""

    gate = threading.Event()

    def load(self, model_dir: Path, *, backend: str) -> LinearEndpoint:
        inner = super().load(model_dir, backend=backend)
        gate = self.gate

        class Gated(LinearEndpoint):
            def query(self, X: np.ndarray, **kw: object):  # type: ignore[no-untyped-def,override]
                assert gate.wait(10)
                return super().query(X, **kw)  # type: ignore[arg-type]

        return Gated(inner.model_id, inner.W, inner.b)


def test_a_key_gets_at_most_its_concurrent_requests(tmp_path: Path, artifact: Path) -> None:
    GatedLoader.gate.clear()
    settings = make_settings(tmp_path / "svc", concurrent_per_key=2, inference_workers=4)
    app = create_app(settings, loader=GatedLoader())
    with live(app) as client:
        h = Harness(client, app, artifact)
        _, other = h.new_key("acme", ["predict"])
        url = str(client.base_url)

        def call(key: str) -> int:
            with httpx.Client(base_url=url, timeout=10) as c:
                r = c.post(
                    "/v1/models/m1/predict", headers={"X-API-Key": key}, json={"inputs": [ROW]}
                )
                return r.status_code

        results: list[int] = []
        waiting = [
            threading.Thread(target=lambda: results.append(call(h.user["X-API-Key"])))
            for _ in range(2)
        ]
        for t in waiting:
            t.start()
        deadline = time.monotonic() + 5
        while h.state.concurrency.in_flight(h.key_id) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        refused = h.predict([ROW])
        assert refused.status_code == 429 and refused.json()["reason"] == "concurrency"
        assert refused.headers["Retry-After"] == "1"
        other_key = threading.Thread(target=lambda: results.append(call(other)))
        other_key.start()  # another key is not held up by this key's limit
        time.sleep(0.2)
        GatedLoader.gate.set()
        for t in [*waiting, other_key]:
            t.join(10)
        assert results == [200, 200, 200]
        assert h.state.concurrency.in_flight(h.key_id) == 0
        assert h.predict([ROW]).status_code == 200


def test_keys_expire(harness: Harness) -> None:
    state = harness.state
    info, key = state.keys.create("acme", ["predict"], expires_in=0.2)
    assert harness.predict([ROW], headers={"X-API-Key": key}).status_code == 200
    time.sleep(1.3)  # past expiry and the key cache
    r = harness.predict([ROW], headers={"X-API-Key": key})
    assert r.status_code == 401 and "expired" in r.json()["detail"]
    r = harness.client.post(
        "/admin/keys",
        headers=harness.admin,
        json={"tenant": "acme", "scopes": ["predict"], "expires_in_s": 3600},
    )
    assert r.status_code == 201 and r.json()["expires_at"] is not None
    assert info.expires_at is not None


def test_the_last_admin_key_cannot_be_revoked(harness: Harness) -> None:
    admin_id = ADMIN_KEY[3:15]
    r = harness.client.delete(f"/admin/keys/{admin_id}", headers=harness.admin)
    assert r.status_code == 409 and "last usable admin key" in r.json()["detail"]
    second_id, second = harness.new_key("ops", ["admin"])
    r = harness.client.delete(f"/admin/keys/{admin_id}", headers={"X-API-Key": second})
    assert r.status_code == 200 and r.json()["revoked"]
    r = harness.client.delete(f"/admin/keys/{second_id}", headers={"X-API-Key": second})
    assert r.status_code == 409
    assert harness.client.get("/admin/keys", headers={"X-API-Key": second}).status_code == 200


def test_hostile_artifact_paths_are_problems_not_server_errors(harness: Harness) -> None:
    for path in ["a" * 4000, "/" + "b/" * 1500, "x\x00y", "~nosuchuser/m"]:
        r = harness.client.post(
            "/admin/models",
            headers=harness.admin,
            json={"model_id": "m2", "path": path, "tenant": "acme"},
        )
        assert r.status_code == 422, (path[:20], r.text)
        assert r.json()["type"] == "urn:qmlsec:problem:artifact"
        assert len(r.json()["detail"]) < 400
