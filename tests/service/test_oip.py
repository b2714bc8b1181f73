"""The Open Inference Protocol v2 routes: health, metadata, readiness, inference, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from service_doubles import N_CLASSES, N_FEATURES, N_QUBITS, Harness, build_app, live


def infer(h: Harness, X: np.ndarray, headers: dict[str, str] | None = None, **body: object):
    tensor = {"name": "input-0", "shape": list(X.shape), "datatype": "FP64",
              "data": X.ravel().tolist()}  # fmt: skip
    return h.client.post(
        "/v2/models/m1/infer",
        headers=h.user if headers is None else headers,
        json={"inputs": [tensor], **body},
    )


def test_health_routes_answer_without_a_key(harness: Harness) -> None:
    assert harness.client.get("/v2/health/live").json() == {"live": True}
    assert harness.client.get("/v2/health/ready").json() == {"ready": True}


def test_model_metadata_describes_the_tensors_and_readiness(harness: Harness) -> None:
    meta = harness.client.get("/v2/models/m1", headers=harness.user).json()
    assert meta["name"] == "m1" and meta["versions"] == ["1"]
    assert meta["inputs"] == [{"name": "input-0", "datatype": "FP64", "shape": [-1, N_FEATURES]}]
    shapes = {o["name"]: (o["datatype"], o["shape"]) for o in meta["outputs"]}
    assert shapes == {
        "probabilities": ("FP64", [-1, N_CLASSES]),
        "labels": ("INT64", [-1]),
        "expectations": ("FP64", [-1, N_QUBITS]),
    }
    assert meta["parameters"]["feature_range"] == [0.0, 1.0]
    ready = harness.client.get("/v2/models/m1/ready", headers=harness.user).json()
    assert ready == {"name": "m1", "ready": True}


def test_infer_equals_the_native_prediction_and_labels_are_its_argmax(harness: Harness) -> None:
    X = np.random.default_rng(0).uniform(0, 1, size=(5, N_FEATURES))
    native = np.array(harness.predict(X).json()["values"])
    r = infer(harness, X, id="req-7")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["id"] == "req-7" and body["model_name"] == "m1" and body["model_version"] == "1"
    out = {o["name"]: o for o in body["outputs"]}
    probs = np.array(out["probabilities"]["data"]).reshape(out["probabilities"]["shape"])
    assert probs.shape == (5, N_CLASSES) and np.allclose(probs, native, atol=1e-12)
    assert out["labels"]["datatype"] == "INT64" and out["labels"]["shape"] == [5]
    assert out["labels"]["data"] == native.argmax(axis=1).tolist()
    assert body["parameters"]["shots"] == 0 and body["parameters"]["circuits"] == 5


def test_fp32_nested_data_shots_and_seed_parameters(harness: Harness) -> None:
    X = np.random.default_rng(1).uniform(0, 1, size=(3, N_FEATURES))
    tensor = {"name": "x", "shape": [3, N_FEATURES], "datatype": "FP32", "data": X.tolist()}
    body = {"inputs": [tensor], "parameters": {"shots": 200, "seed": 5},
            "outputs": [{"name": "labels"}]}  # fmt: skip
    a, b = (harness.client.post("/v2/models/m1/infer", headers=harness.user, json=body).json()
            for _ in range(2))  # fmt: skip
    assert a["outputs"] == b["outputs"] and [o["name"] for o in a["outputs"]] == ["labels"]
    assert a["parameters"]["shots"] == 200 * 3 and a["parameters"]["seed"] == 5
    expectations = infer(harness, X, outputs=[{"name": "expectations"}]).json()["outputs"]
    assert expectations[0]["shape"] == [3, N_QUBITS]


def test_each_infer_is_charged_like_one_native_prediction(harness: Harness) -> None:
    X = np.zeros((4, N_FEATURES))
    assert infer(harness, X).status_code == 200
    usage = harness.state.budget.usage(harness.key_id)
    assert (usage.samples, usage.requests) == (4, 1)


def test_errors_keep_their_status_and_carry_the_protocol_error_field(harness: Harness) -> None:
    X = np.zeros((2, N_FEATURES))
    cases = {
        401: infer(harness, X, headers={}),
        403: infer(harness, X, headers={"X-API-Key": harness.new_key("acme", ["admin"])[1]}),
        404: harness.client.post(
            "/v2/models/nope/infer",
            headers=harness.user,
            json={
                "inputs": [{"name": "x", "shape": [1, 4], "datatype": "FP64", "data": [0, 0, 0, 0]}]
            },
        ),  # fmt: skip
    }
    bad_shape = {"name": "x", "shape": [2, N_FEATURES + 1], "datatype": "FP64",
                 "data": X.ravel().tolist()}  # fmt: skip
    bad_type = {**bad_shape, "shape": [2, N_FEATURES], "datatype": "BYTES"}
    for tensor in (bad_shape, bad_type):
        r = harness.client.post("/v2/models/m1/infer", headers=harness.user,
                                json={"inputs": [tensor]})  # fmt: skip
        cases.setdefault(422, r)
        assert r.status_code == 422 and r.json()["error"], r.text
    assert "datatype BYTES" in r.json()["error"]
    for status, r in cases.items():
        assert r.status_code == status, r.text
        assert r.json()["error"] == r.json()["detail"]


def test_rate_limit_applies_to_oip_routes_with_retry_after(tmp_path: Path, artifact: Path) -> None:
    app = build_app(tmp_path / "svc", requests_per_minute=2)
    with live(app) as client:
        h = Harness(client, app, artifact)
        X = np.zeros((1, N_FEATURES))
        codes = [infer(h, X).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        refused = infer(h, X)
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
        assert "rate limit" in refused.json()["error"]


def test_openapi_lists_the_oip_routes(harness: Harness) -> None:
    paths = harness.client.get("/openapi.json").json()["paths"]
    for path in ("/v2/health/live", "/v2/health/ready", "/v2/models/{name}",
                 "/v2/models/{name}/ready", "/v2/models/{name}/infer"):  # fmt: skip
        assert path in paths
