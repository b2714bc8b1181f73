"""API keys: storage, constant-time verification, scopes, tenants, revocation."""

from __future__ import annotations

import pytest
from service_doubles import ADMIN_KEY, Harness

from qmlsec.exceptions import AuthenticationError, ConfigError
from qmlsec.service.auth import KeyStore, hash_key
from qmlsec.service.db import Database

X = [[0.1, 0.2, 0.3, 0.4]]


@pytest.fixture
def store() -> KeyStore:
    return KeyStore(Database("sqlite://"))


def test_only_the_hash_of_a_key_is_stored(store: KeyStore) -> None:
    info, key = store.create("acme", ["predict"])
    with store.db.engine.connect() as conn:
        row = conn.execute(store.db.api_keys.select()).one()
    assert key.startswith(f"qk_{info.key_id}.")
    assert row.key_hash == hash_key(key) and key not in tuple(map(str, row))


def test_authenticate_rejects_wrong_secret_unknown_id_and_garbage(store: KeyStore) -> None:
    info, key = store.create("acme", ["predict"])
    assert store.authenticate(key).key_id == info.key_id
    for bad in (key[:-1] + ("A" if key[-1] != "A" else "B"), "qk_000000000000." + "x" * 43, "x"):
        with pytest.raises(AuthenticationError, match="invalid API key"):
            store.authenticate(bad)


def test_revoked_key_is_refused_and_revocation_is_idempotent(store: KeyStore) -> None:
    info, key = store.create("acme", ["predict"])
    assert store.revoke(info.key_id).revoked
    assert store.revoke(info.key_id).revoked
    with pytest.raises(AuthenticationError, match="revoked"):
        store.authenticate(key)


def test_invalid_scopes_and_malformed_bootstrap_keys_are_config_errors(store: KeyStore) -> None:
    with pytest.raises(ConfigError, match="invalid scopes"):
        store.create("acme", ["root"])
    with pytest.raises(ConfigError, match="qk_"):
        store.create("acme", ["admin"], key="supersecret")


def test_bootstrap_key_is_created_once(store: KeyStore) -> None:
    first = store.ensure(ADMIN_KEY, "admin", ["admin"])
    again = store.ensure(ADMIN_KEY, "admin", ["admin"])
    assert first == again and len(store.list()) == 1


def _matrix(h: Harness) -> dict[str, tuple[dict[str, str], int, str]]:
    revoked_id, revoked = h.new_key("acme", ["predict"])
    assert h.client.delete(f"/admin/keys/{revoked_id}", headers=h.admin).status_code == 200
    _, admin_only = h.new_key("acme", ["admin"])
    _, other_tenant = h.new_key("globex", ["predict"])
    return {
        "no key": ({}, 401, "auth"),
        "wrong key": ({"X-API-Key": "qk_0123456789ab." + "B" * 43}, 401, "auth"),
        "malformed key": ({"X-API-Key": "letmein"}, 401, "auth"),
        "revoked key": ({"X-API-Key": revoked}, 401, "auth"),
        "wrong scope": ({"X-API-Key": admin_only}, 403, "forbidden"),
        "another tenant": ({"X-API-Key": other_tenant}, 404, "not_found"),
        "owner": (h.user, 200, ""),
    }


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/v1/models/m1/predict", {"inputs": X}),
        ("GET", "/v1/models/m1", None),
        ("POST", "/v1/jobs", {"model_id": "m1", "inputs": X}),
    ],
)
def test_authorisation_matrix_on_model_routes(
    harness: Harness, method: str, path: str, body: dict | None
) -> None:
    for case, (headers, status, reason) in _matrix(harness).items():
        r = harness.client.request(method, path, headers=headers, json=body)
        expected = 202 if status == 200 and method == "POST" and "jobs" in path else status
        assert r.status_code == expected, (case, r.text)
        if status >= 400:
            problem = r.json()
            assert r.headers["content-type"] == "application/problem+json"
            assert (problem["status"], problem["reason"]) == (status, reason)
            assert "Traceback" not in r.text
    metrics = harness.state.metrics
    assert metrics.value("qmlsec_rejected_requests_total", reason="auth") == 4
    assert metrics.value("qmlsec_rejected_requests_total", reason="forbidden") == 1
    assert metrics.value("qmlsec_rejected_requests_total", reason="not_found") == 1


def test_admin_routes_need_the_admin_scope(harness: Harness) -> None:
    for method, path in [
        ("GET", "/admin/keys"),
        ("GET", "/admin/audit"),
        ("DELETE", "/admin/keys/000000000000"),
        ("DELETE", "/admin/models/m1"),
    ]:
        assert harness.client.request(method, path, headers=harness.user).status_code == 403
        assert harness.client.request(method, path).status_code == 401
    assert harness.client.get("/v1/models/m1", headers=harness.user).status_code == 200


def test_unauthenticated_response_names_the_header(harness: Harness) -> None:
    r = harness.client.get("/v1/models")
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == 'ApiKey header="X-API-Key"'


def test_a_tenant_lists_only_its_models_and_admins_see_all(harness: Harness, artifact) -> None:
    _, both = harness.new_key("admin", ["admin", "predict"])
    _, globex = harness.new_key("globex", ["predict"])
    r = harness.client.post(
        "/admin/models",
        headers=harness.admin,
        json={"model_id": "g1", "path": str(artifact), "tenant": "globex"},
    )
    assert r.status_code == 201
    ids = {
        name: [
            m["model_id"]
            for m in harness.client.get("/v1/models", headers={"X-API-Key": k}).json()["models"]
        ]
        for name, k in [("acme", harness.user["X-API-Key"]), ("globex", globex), ("admin", both)]
    }
    assert ids == {"acme": ["m1"], "globex": ["g1"], "admin": ["g1", "m1"]}


def test_a_revoked_key_stops_working_immediately(harness: Harness) -> None:
    assert harness.predict(X).status_code == 200
    r = harness.client.delete(f"/admin/keys/{harness.key_id}", headers=harness.admin)
    assert r.status_code == 200 and r.json()["revoked"] is True
    assert harness.predict(X).status_code == 401
