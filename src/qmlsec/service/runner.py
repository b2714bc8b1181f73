"""The one adapter between the service and the inference layer.

The service only ever talks to an :class:`~qmlsec.cloud.endpoint.Endpoint` (see
``docs/architecture.md``) obtained from a :class:`ModelLoader`. :class:`ArtifactLoader` is the production loader: it verifies a
saved artifact and builds its endpoint. Anything else (a test double, a remote model)
plugs in by passing another loader to :func:`qmlsec.service.app.create_app`.

Example:
    >>> from qmlsec.service.runner import PUBLIC_FIELDS
    >>> "weights" in PUBLIC_FIELDS
    False
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from qmlsec.cloud.endpoint import Endpoint, EndpointResponse, Output
from qmlsec.exceptions import BackendError
from qmlsec.models.artifact import verify_artifact

# Manifest fields that describe a model without revealing it (never weights).
PUBLIC_FIELDS = (
    "name",
    "version",
    "created_at",
    "task",
    "classes",
    "n_qubits",
    "encoding",
    "rotation",
    "ansatz",
    "layers",
    "entanglement",
    "readout",
    "preprocessing",
    "dataset",
    "device",
    "backend",
    "seed",
    "metrics",
)


class ModelLoader(Protocol):
    """Verifies model artifacts and builds their endpoints."""

    def inspect(self, model_dir: Path) -> dict[str, Any]:
        """Verify an artifact's hashes and return its public card (raises ArtifactError)."""
        ...

    def load(self, model_dir: Path, *, backend: str) -> Endpoint:
        """Build a verified endpoint that runs on ``backend``."""
        ...


def describe(endpoint: Endpoint, manifest: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The public card of a model: its input/output shape plus whitelisted manifest fields."""
    card: dict[str, Any] = {
        "n_features": int(endpoint.n_features),
        "n_classes": int(endpoint.n_classes),
        "feature_range": (
            None if endpoint.feature_range is None else [float(v) for v in endpoint.feature_range]
        ),
    }
    for name in PUBLIC_FIELDS:
        if manifest and name in manifest and name not in card:
            card[name] = manifest[name]
    return card


def execute(
    endpoint: Endpoint, X: np.ndarray, *, output: Output, shots: int | None, seed: int | None
) -> EndpointResponse:
    """Run one batch through an endpoint; check the answer's shape and normalise its types."""
    resp = endpoint.query(X, output=output, shots=shots, seed=seed)
    values = np.asarray(resp.values)
    if values.shape[0] != X.shape[0]:
        raise BackendError(
            f"endpoint returned {values.shape[0]} answers for {X.shape[0]} samples",
            hint="the inference backend is faulty; check the model artifact",
        )
    stages = {str(k): float(v) for k, v in dict(resp.stage_seconds).items()}
    return EndpointResponse(values, int(resp.shots), int(resp.circuits), stages)


class ArtifactLoader:
    """Production loader: ``qmlsec.models.artifact`` and ``qmlsec.cloud.inference``."""

    def inspect(self, model_dir: Path) -> dict[str, Any]:
        """Verify every hash and describe the model (shape, classes, circuit spec)."""
        manifest = verify_artifact(model_dir)
        endpoint = self.load(model_dir, backend="ideal")
        public = _module("qmlsec.cloud.inference").describe(endpoint)
        card = describe(endpoint, manifest)
        card.update({k: public[k] for k in ("classes", "spec") if k in public})
        return card

    def load(self, model_dir: Path, *, backend: str) -> Endpoint:
        """A verified endpoint of the artifact at ``model_dir``.

        Endpoints on a cloud device keep per-query job state, so their queries are
        serialised; the ideal (local engine) endpoint answers concurrent queries.
        """
        inference = _module("qmlsec.cloud.inference")
        endpoint: Endpoint = inference.load_endpoint(model_dir, backend=backend)
        return endpoint if backend == "ideal" else Serialized(endpoint)


class Serialized:
    """An endpoint whose queries run one at a time (for stateful endpoints)."""

    def __init__(self, inner: Endpoint) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.n_features = inner.n_features
        self.n_classes = inner.n_classes
        self.feature_range = inner.feature_range
        self._lock = threading.Lock()

    def query(
        self,
        X: np.ndarray,
        *,
        output: Output = "probabilities",
        shots: int | None = None,
        seed: int | None = None,
    ) -> EndpointResponse:
        """Answer a batch once no other query of this endpoint runs."""
        with self._lock:
            return self.inner.query(X, output=output, shots=shots, seed=seed)


def _module(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError as err:
        raise BackendError(
            f"the inference layer ({name}) is not installed in this build",
            hint="install a qmlsec release that ships qmlsec.cloud.inference",
        ) from err
