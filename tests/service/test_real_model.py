"""Integration with a real trained QNN: the production artifact loader and inference path.

A small hybrid QNN is trained on iris once per module, saved as a verified artifact, and
served through :class:`~qmlsec.service.runner.ArtifactLoader`; the library's own
substitute-extraction attack then runs against the live HTTP service.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from service_doubles import ADMIN_KEY, Harness, live

from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.extraction.substitute import SubstituteExtraction
from qmlsec.attacks.queries import QueryCounter
from qmlsec.attacks.targets import Target
from qmlsec.cloud.inference import load_endpoint
from qmlsec.data import load_dataset, split
from qmlsec.exceptions import RateLimitError
from qmlsec.models.classifier import QNNClassifier
from qmlsec.models.persist import load_classifier, save_classifier
from qmlsec.service.app import create_app
from qmlsec.service.client import ServiceEndpoint
from qmlsec.service.settings import ServiceSettings


@pytest.fixture(scope="module")
def iris(tmp_path_factory: pytest.TempPathFactory):
    train, test = split(load_dataset("iris"), test_size=0.3, seed=0)
    clf = QNNClassifier(n_qubits=4, layers=1, epochs=1, lr=0.1).fit(train.X, train.y)
    return save_classifier(clf, tmp_path_factory.mktemp("models") / "iris"), train, test


@pytest.fixture
def served(tmp_path: Path, iris) -> Iterator[tuple[Harness, Path]]:
    path = iris[0]
    app = create_app(ServiceSettings(data_dir=tmp_path, bootstrap_admin_key=ADMIN_KEY))
    with live(app) as client:
        yield Harness(client, app, path), path


def test_http_answers_equal_the_local_inference_endpoint(served, iris) -> None:
    h, path = served
    X = iris[2].X[:8]
    local = load_endpoint(path)
    r = h.predict(X).json()
    assert np.allclose(r["values"], local.query(X).values, atol=1e-12)
    assert (
        h.predict(X, output="labels").json()["values"]
        == local.query(X, output="labels").values.tolist()
    )
    a, b = (h.predict(X, shots=256, seed=11).json() for _ in range(2))
    assert a["values"] == b["values"] and a["shots"] == 256 * a["circuits"] > 0
    m = h.state.metrics
    for stage in ("preprocess", "encode", "execute", "postprocess"):
        assert m.value("qmlsec_inference_stage_seconds_count", stage=stage) == 4


def test_card_describes_the_circuit_but_never_the_weights(served) -> None:
    h, _ = served
    info = h.client.get("/v1/models/m1", headers=h.user).json()
    assert (info["n_features"], info["n_classes"]) == (4, 3)
    assert info["details"]["spec"]["n_qubits"] == 4 and len(info["details"]["classes"]) == 3
    assert "theta" not in str(info) and "weights" not in str(info)


def test_tampered_artifact_is_refused_at_registration(served, tmp_path: Path, iris) -> None:
    h, path = served
    copy = tmp_path / "copy"
    save_classifier(load_classifier(path), copy)
    (copy / "weights.safetensors").write_bytes(b"\0" * 64)
    r = h.client.post(
        "/admin/models",
        headers=h.admin,
        json={"model_id": "bad", "path": str(copy), "tenant": "acme"},
    )
    assert r.status_code == 422 and r.json()["reason"] == "integrity"


def attack(h: Harness, iris, queries: int):
    _, train, test = iris
    endpoint = ServiceEndpoint(str(h.client.base_url), h.user["X-API-Key"], "m1", client=h.client)
    counter = QueryCounter(endpoint, output="probabilities")
    atk = SubstituteExtraction(Target.black_box(counter), {"queries": queries, "epochs": 5}, seed=0)
    return atk.run(AttackContext(test.X, test.y, x_train=train.X)), counter


def test_library_extraction_attack_runs_over_http(served, iris) -> None:
    h, _ = served
    result, counter = attack(h, iris, queries=60)
    assert counter.stats.samples == 60
    assert result.metrics["substitute_agreement"] >= 0.5
    usage = h.state.budget.usage(h.key_id)
    assert usage.samples == 60 + len(iris[2].X)  # the queries plus the evaluation oracle


def test_daily_budget_stops_the_library_attack(tmp_path: Path, iris) -> None:
    app = create_app(
        ServiceSettings(data_dir=tmp_path, bootstrap_admin_key=ADMIN_KEY, daily_samples=40)
    )
    with live(app) as client:
        h = Harness(client, app, iris[0])
        with pytest.raises(RateLimitError, match="sample budget"):
            attack(h, iris, queries=60)
        assert h.state.budget.usage(h.key_id).samples == 0
        assert h.state.metrics.value("qmlsec_rejected_requests_total", reason="budget") == 1
