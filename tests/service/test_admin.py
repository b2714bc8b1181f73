"""Admin surface: model registration checks, signatures, audit export, readiness, metrics."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from service_doubles import ADMIN_KEY, Harness, build_app, live, write_double

from qmlsec.exceptions import ArtifactError, ConfigError
from qmlsec.models.signing import sign_artifact
from qmlsec.service.settings import ServiceSettings

ADMIN = {"X-API-Key": ADMIN_KEY}


def register(client, path: Path, model_id: str = "m2", tenant: str = "acme"):
    return client.post(
        "/admin/models",
        headers=ADMIN,
        json={"model_id": model_id, "path": str(path), "tenant": tenant},
    )


def test_registration_verifies_artifact_hashes(harness: Harness, tmp_path: Path) -> None:
    bad = write_double(tmp_path / "tampered")
    (bad / "weights.safetensors").write_bytes(b"x" * 10)
    r = register(harness.client, bad)
    assert r.status_code == 422 and r.json()["type"] == "urn:qmlsec:problem:artifact"
    assert "sha256" in r.json()["detail"]
    assert register(harness.client, tmp_path / "missing").status_code == 422
    r = register(harness.client, harness.state.registry.get("m1").path, model_id="m1")
    assert r.status_code == 422 and "already registered" in r.json()["detail"]
    assert harness.state.metrics.value("qmlsec_rejected_requests_total", reason="integrity") == 2


def test_model_root_confines_artifact_paths(tmp_path: Path) -> None:
    inside = write_double(tmp_path / "root" / "ok")
    outside = write_double(tmp_path / "elsewhere")
    app = build_app(tmp_path / "svc", model_root=tmp_path / "root")
    with live(app) as client:
        assert register(client, inside).status_code == 201
        r = register(client, tmp_path / "root" / ".." / "elsewhere", model_id="m3")
        assert r.status_code == 422 and "outside the model root" in r.json()["detail"]
        assert outside.is_dir()


def _keypair(tmp_path: Path) -> tuple[Ed25519PrivateKey, Path]:
    key = Ed25519PrivateKey.generate()
    pem = tmp_path / "publisher.pem"
    pem.write_bytes(key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))
    return key, pem


def test_required_signatures_are_verified(tmp_path: Path) -> None:
    key, pem = _keypair(tmp_path)
    signed = write_double(tmp_path / "signed")
    sign_artifact(signed, key)
    unsigned = write_double(tmp_path / "unsigned")
    forged = write_double(tmp_path / "forged")
    sign_artifact(forged, Ed25519PrivateKey.generate())
    app = build_app(tmp_path / "svc", signing_key=pem, require_signature=True)
    with live(app) as client:
        r = register(client, signed)
        assert r.status_code == 201 and r.json()["details"]["signed"] is True
        assert "not signed" in register(client, unsigned, "u").json()["detail"]
        assert "does not verify" in register(client, forged, "f").json()["detail"]


def test_signatures_need_a_configured_key() -> None:
    with pytest.raises(ConfigError, match="signing"):
        ServiceSettings.from_env({}, require_signature=True)


def test_readiness_fails_when_an_artifact_is_tampered_after_registration(
    tmp_path: Path, artifact: Path
) -> None:
    app = build_app(tmp_path / "svc")
    with live(app) as client:
        Harness(client, app, artifact)
        (artifact / "weights.safetensors").write_bytes(b"tampered")
    app2 = build_app(tmp_path / "svc")  # fresh process: no cached endpoint
    with live(app2) as client:
        public = client.get("/readyz")
        assert public.status_code == 503 and "m1" not in public.text
        assert str(artifact) not in public.text
        r = client.get("/readyz", headers=ADMIN)
        assert r.status_code == 503 and "m1" in r.json()["detail"]
        key = app2.state.service.keys.create("acme", ["predict"])[1]
        r = client.post(
            "/v1/models/m1/predict", headers={"X-API-Key": key}, json={"inputs": [[0.1] * 4]}
        )
        assert r.status_code == 503 and "cannot be loaded" in r.json()["detail"]
        with pytest.raises(ArtifactError):
            app2.state.service.registry.loader.load(artifact, backend="ideal")


def test_audit_export_filters_by_time_and_limit(harness: Harness) -> None:
    harness.predict([[0.1, 0.2, 0.3, 0.4]])
    r = harness.client.get("/admin/audit", headers=ADMIN)
    assert r.headers["content-type"] == "application/x-ndjson"
    lines = [json.loads(x) for x in r.text.splitlines()]
    events = [(x["route"], x["status"]) for x in lines]
    assert events[:3] == [
        ("/admin/models", 201),
        ("/admin/keys", 201),
        ("/v1/models/{model_id}/predict", 200),
    ]
    assert lines[1]["action"] == "key.create" and "key" not in lines[1]
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()
    assert harness.client.get("/admin/audit", headers=ADMIN, params={"since": future}).text == ""
    one = harness.client.get("/admin/audit", headers=ADMIN, params={"limit": 1}).text
    assert len(one.splitlines()) == 1


def test_metrics_need_an_admin_key_unless_made_public(harness: Harness, tmp_path: Path) -> None:
    harness.predict([[0.1, 0.2, 0.3, 0.4]] * 2)
    assert harness.client.get("/metrics").status_code == 401
    assert harness.client.get("/metrics", headers=harness.user).status_code == 403
    text = harness.client.get("/metrics", headers=ADMIN).text
    assert 'qmlsec_samples_total{backend="ideal",model="m1"} 2.0' in text
    assert 'qmlsec_inference_stage_seconds_count{stage="execute"} 1.0' in text
    app = build_app(tmp_path / "public", metrics_public=True)
    with live(app) as client:
        assert client.get("/metrics").status_code == 200


def test_removed_models_are_no_longer_served(harness: Harness) -> None:
    r = harness.client.delete("/admin/models/m1", headers=ADMIN)
    assert r.status_code == 200 and r.json()["model_id"] == "m1"
    assert harness.predict([[0.1, 0.2, 0.3, 0.4]]).status_code == 404
