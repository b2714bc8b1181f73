"""Predictions: outputs, exact and sampled answers, input validation, problem details."""

from __future__ import annotations

import json

import numpy as np
import pytest
from service_doubles import Harness, LinearEndpoint

from qmlsec.service.audit import input_hash

X = np.array([[0.1, 0.2, 0.3, 0.4], [0.9, 0.1, 0.5, 0.0], [0.0, 1.0, 1.0, 0.2]])


def reference(h: Harness) -> LinearEndpoint:
    record = h.state.registry.get("m1")
    return h.state.registry.endpoint(record, "ideal")


def test_exact_outputs_match_the_endpoint(harness: Harness) -> None:
    ep = reference(harness)
    for output in ("labels", "probabilities", "expectations"):
        r = harness.predict(X, output=output)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["values"] == ep.query(X, output=output).values.tolist()
        assert (body["shots"], body["circuits"], body["n_samples"]) == (0, 3, 3)
        assert (body["backend"], body["seed"], body["output"]) == ("ideal", None, output)


def test_sampled_answers_are_seeded_and_count_shots(harness: Harness) -> None:
    a = harness.predict(X, shots=64, seed=7).json()
    b = harness.predict(X, shots=64, seed=7).json()
    assert a["values"] == b["values"] and (a["shots"], a["seed"]) == (192, 7)
    drawn = harness.predict(X, shots=64).json()
    assert isinstance(drawn["seed"], int)
    m = harness.state.metrics
    assert m.value("qmlsec_shots_total", model="m1", backend="ideal") == 3 * 192
    assert m.value("qmlsec_circuit_executions_total", model="m1", backend="ideal") == 9
    assert m.value("qmlsec_samples_total", model="m1", backend="ideal") == 9


def test_request_id_is_echoed_or_assigned(harness: Harness) -> None:
    r = harness.client.post(
        "/v1/models/m1/predict",
        json={"inputs": X.tolist()},
        headers={**harness.user, "X-Request-ID": "trace-42"},
    )
    assert r.headers["x-request-id"] == "trace-42" == r.json()["request_id"]
    unsafe = harness.client.get("/healthz", headers={"X-Request-ID": "a b\tc"})
    assert len(unsafe.headers["x-request-id"]) == 32


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"inputs": [[0.1, 0.2, 0.3]]}, "needs 4 features"),
        ({"inputs": [[0.1, 0.2, 0.3, 0.4], [0.1]]}, "needs 4 features"),
        ({"inputs": [[0.1, 0.2, 0.3, 9.0]]}, "feature range"),
        ({"inputs": [[0.1, 0.2, 0.3, 0.4]] * 257}, "exceeds the limit of 256"),
        ({"inputs": [[0.1, 0.2, 0.3, 0.4]], "shots": 100_001}, "shots must lie in"),
        ({"inputs": [[0.1, 0.2, 0.3, 0.4]], "backend": "ibm_brisbane"}, "not offered"),
        ({"inputs": []}, "at least 1 item"),
        ({"inputs": [[0.1, 0.2, 0.3, 0.4]], "shots": 0}, "greater than or equal to 1"),
        ({"inputs": [[0.1, 0.2, 0.3, 0.4]], "extra": 1}, "Extra inputs"),
        ({"inputs": [["a", 0.2, 0.3, 0.4]]}, "valid number"),
    ],
)
def test_invalid_requests_are_422_problems(harness: Harness, body: dict, detail: str) -> None:
    r = harness.client.post("/v1/models/m1/predict", json=body, headers=harness.user)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert detail in problem["detail"]
    assert set(problem) >= {"type", "title", "status", "detail", "instance", "request_id"}
    assert problem["instance"] == "/v1/models/m1/predict"


def test_non_finite_json_numbers_are_rejected(harness: Harness) -> None:
    raw = '{"inputs": [[NaN, 0.2, 0.3, Infinity]]}'
    r = harness.client.post(
        "/v1/models/m1/predict",
        content=raw,
        headers={**harness.user, "content-type": "application/json"},
    )
    assert r.status_code == 422 and "finite" in r.json()["detail"]


def test_invalid_values_are_never_echoed(harness: Harness) -> None:
    r = harness.client.post(
        "/v1/models/m1/predict",
        headers=harness.user,
        json={"inputs": [["secret-value", 0.2, 0.3, 0.4]]},
    )
    assert r.status_code == 422 and "secret-value" not in r.text


def test_unknown_model_route_and_method_are_problems(harness: Harness) -> None:
    r = (
        harness.predict(X, headers=harness.user)
        if False
        else harness.client.post(
            "/v1/models/nope/predict", json={"inputs": X.tolist()}, headers=harness.user
        )
    )
    assert (r.status_code, r.json()["type"]) == (404, "urn:qmlsec:problem:not-found")
    r = harness.client.get("/v2/anything")
    assert (r.status_code, r.json()["title"]) == (404, "Not Found")
    r = harness.client.put("/v1/models/m1/predict", headers=harness.user)
    assert (r.status_code, r.headers["allow"], r.json()["status"]) == (405, "POST", 405)


def test_audit_line_has_hash_not_inputs(harness: Harness) -> None:
    X = np.array([[0.1234567891, 0.2345678912, 0.3456789123, 0.4567891234]] * 3)
    r = harness.predict(X, shots=10, seed=3)
    lines = [json.loads(s) for s in harness.state.audit.path.read_text().splitlines()]
    line = next(x for x in lines if x.get("request_id") == r.json()["request_id"])
    assert line["input_hash"] == input_hash(X)
    assert (line["key_id"], line["model_id"], line["n_samples"]) == (harness.key_id, "m1", 3)
    assert (line["shots"], line["seed"], line["status"], line["outcome"]) == (10, 3, 200, "ok")
    assert line["latency_ms"] > 0
    assert not any(str(v)[:8] in json.dumps(line) for v in np.ravel(X))  # no raw inputs


def test_model_metadata_never_contains_weights(harness: Harness) -> None:
    info = harness.client.get("/v1/models/m1", headers=harness.user).json()
    assert info["n_features"] == 4 and info["n_classes"] == 3
    assert info["details"] == {"encoding": "angle", "n_qubits": 2, "name": "double"}
    assert "path" not in info and "files" not in json.dumps(info)
