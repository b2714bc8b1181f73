"""Test doubles and helpers of the service tests: an endpoint double and served apps.

The double (softmax of a fixed linear map) stands in for a trained model so the service
can be tested on its own; it is never product code.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import torch
import uvicorn
from fastapi import FastAPI

from qmlsec.cloud.endpoint import EndpointResponse, QueryMonitor
from qmlsec.models.artifact import load_artifact, save_artifact, verify_artifact
from qmlsec.service.app import create_app
from qmlsec.service.runner import describe
from qmlsec.service.settings import ServiceSettings

ADMIN_KEY = "qk_0123456789ab." + "A" * 43
N_FEATURES, N_CLASSES, N_QUBITS = 4, 3, 2


class LinearEndpoint:
    """``softmax(X @ W + b)``; expectations are ``tanh(X @ V)``; shots sample the labels."""

    feature_range = (0.0, 1.0)

    def __init__(self, model_id: str, W: np.ndarray, b: np.ndarray) -> None:
        self.model_id, self.W, self.b = model_id, W, b
        self.n_features, self.n_classes = W.shape
        self.V = W[:, :N_QUBITS]

    def query(
        self,
        X: np.ndarray,
        *,
        output: str = "probabilities",
        shots: int | None = None,
        seed: int | None = None,
    ) -> EndpointResponse:
        logits = X @ self.W + self.b
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        if shots is not None:
            gen = np.random.default_rng(seed)
            p = np.stack([gen.multinomial(shots, row) / shots for row in p])
        values = {
            "labels": p.argmax(axis=1),
            "probabilities": p,
            "expectations": np.tanh(X @ self.V),
        }[output]
        spent = 0 if shots is None else shots * len(X)
        return EndpointResponse(values, spent, len(X), {"preprocess": 1e-5, "execute": 1e-4})


def write_double(folder: Path, seed: int = 0) -> Path:
    """A real artifact (hashed manifest, safetensors) holding the double's weights."""
    gen = np.random.default_rng(seed)
    tensors = {
        "W": torch.tensor(3 * gen.normal(size=(N_FEATURES, N_CLASSES))),
        "b": torch.tensor(gen.normal(size=N_CLASSES)),
    }
    manifest = {"name": folder.name, "n_qubits": N_QUBITS, "encoding": "angle"}
    return save_artifact(folder, manifest=manifest, tensors=tensors, arrays={})


class DoubleLoader:
    """Verifies the artifact (hashes) and builds a :class:`LinearEndpoint` from it."""

    def __init__(self) -> None:
        self.loads = 0

    def inspect(self, model_dir: Path) -> dict[str, Any]:
        return describe(self.load(model_dir, backend="ideal"), verify_artifact(model_dir))

    def load(self, model_dir: Path, *, backend: str) -> LinearEndpoint:
        art = load_artifact(model_dir)
        self.loads += 1
        return LinearEndpoint(model_dir.name, art.tensors["W"].numpy(), art.tensors["b"].numpy())


def make_settings(tmp: Path, **overrides: Any) -> ServiceSettings:
    """Settings on a temporary folder with the fixed bootstrap admin key."""
    return ServiceSettings(data_dir=tmp, bootstrap_admin_key=ADMIN_KEY, **overrides)


def build_app(tmp: Path, monitor: QueryMonitor | None = None, **overrides: Any) -> FastAPI:
    """An app over the double loader."""
    return create_app(make_settings(tmp, **overrides), loader=DoubleLoader(), monitor=monitor)


@contextlib.contextmanager
def live(app: FastAPI) -> Iterator[httpx.Client]:
    """Serve ``app`` with uvicorn on 127.0.0.1 (ephemeral port) and yield a client."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # else 40 ms delayed ACKs
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.005)
    assert server.started, "uvicorn did not start"
    host, port = sock.getsockname()
    try:
        with httpx.Client(base_url=f"http://{host}:{port}", timeout=10) as client:
            yield client
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


class Harness:
    """A served app with a registered model ``m1`` and a predict key for tenant ``acme``."""

    def __init__(self, client: httpx.Client, app: FastAPI, artifact: Path) -> None:
        self.client, self.app = client, app
        self.admin = {"X-API-Key": ADMIN_KEY}
        r = client.post(
            "/admin/models",
            headers=self.admin,
            json={"model_id": "m1", "path": str(artifact), "tenant": "acme"},
        )
        assert r.status_code == 201, r.text
        self.key_id, key = self.new_key("acme", ["predict"])
        self.user = {"X-API-Key": key}

    def new_key(self, tenant: str, scopes: list[str]) -> tuple[str, str]:
        r = self.client.post(
            "/admin/keys", headers=self.admin, json={"tenant": tenant, "scopes": scopes}
        )
        assert r.status_code == 201, r.text
        return r.json()["key_id"], r.json()["key"]

    def predict(self, X: Any, headers: dict[str, str] | None = None, **body: Any) -> httpx.Response:
        return self.client.post(
            "/v1/models/m1/predict",
            headers=headers or self.user,
            json={"inputs": np.asarray(X).tolist(), **body},
        )

    @property
    def state(self) -> Any:
        return self.app.state.service
