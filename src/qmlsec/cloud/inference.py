"""The QMLaaS inference path (SoK §4): pre-process -> encode -> transpile -> execute -> post-process.

An :class:`InferenceEndpoint` is what black-box attackers and the HTTP service talk to.
On the ideal device it evaluates with the local engine (exact, or sampled shots); on any
other device every query is a job on the quantum cloud (transpiled, noisy, priced,
recorded in the exposure ledger).

Example:
    >>> import numpy as np
    >>> from qmlsec.data import load_dataset, split
    >>> from qmlsec.models.classifier import QNNClassifier
    >>> train, test = split(load_dataset("iris"), test_size=0.3, seed=0)
    >>> clf = QNNClassifier(n_qubits=4, layers=1, epochs=3, lr=0.1).fit(train.X, train.y)
    >>> ep = InferenceEndpoint(clf, shots=None)
    >>> r = ep.query(test.X[:5], output="probabilities")
    >>> r.values.shape, r.shots, bool(np.allclose(r.values.sum(1), 1))
    ((5, 3), 0, True)
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

from qmlsec.cloud.endpoint import OUTPUTS, EndpointResponse, Output
from qmlsec.cloud.executor import CloudExecutor
from qmlsec.cloud.ledger import ExposureLedger
from qmlsec.cloud.providers import ClassicalCloud, QuantumCloud
from qmlsec.config import derive_seed, torch_generator
from qmlsec.exceptions import ConfigError, DataError
from qmlsec.models.classifier import QNNClassifier
from qmlsec.models.persist import load_classifier


class InferenceEndpoint:
    """A deployed model answering queries.

    Args:
        classifier: the fitted classifier.
        model_id: the endpoint's name.
        device: ``ideal`` (local engine) or a device name on ``quantum``.
        shots: default shots per circuit (``None``: exact expectations).
        quantum: the quantum cloud executing the circuits (required unless ``ideal``).
        classical: the classical cloud doing pre/post-processing (records hand-offs).
        ledger: where API hand-offs are recorded.
        tenant: the tenant the inference jobs run under at the quantum cloud.
        seed: per-query shot seeds derive from it and a running counter.
    """

    def __init__(
        self,
        classifier: QNNClassifier,
        *,
        model_id: str = "default",
        device: str = "ideal",
        shots: int | None = None,
        quantum: QuantumCloud | None = None,
        classical: ClassicalCloud | None = None,
        ledger: ExposureLedger | None = None,
        tenant: str = "victim",
        seed: int = 0,
    ) -> None:
        classifier._check_fitted()
        if device != "ideal" and quantum is None:
            quantum = QuantumCloud([device], seed=derive_seed(seed, "quantum-cloud"), ledger=ledger)
        self.classifier = classifier
        self.model_id = model_id
        self.device = device
        self.shots = shots
        self.quantum = quantum
        self.classical = classical
        self.ledger = ledger
        self.seed = seed
        self.queries = 0
        self._executor = (
            CloudExecutor(
                quantum,
                classifier.model_.compiled,
                device=device,
                shots=shots,
                tenant=tenant,
                seed=derive_seed(seed, "jobs"),
                step="inference",
                purpose="inference",
                submitter="classical_cloud",
                submitter_trust=classical.trust.value if classical is not None else "trusted",
            )
            if quantum is not None
            else None
        )
        self.model_id = model_id

    @property
    def n_features(self) -> int:
        return int(self.classifier.preprocessing_.n_features_in)

    @property
    def n_classes(self) -> int:
        return len(self.classifier.classes_)

    @property
    def feature_range(self) -> tuple[float, float] | None:
        bounds = getattr(self.classifier, "manifest_", {}).get("metadata", {}).get("feature_range")
        return tuple(bounds) if bounds else None

    def query(
        self,
        X: np.ndarray,
        *,
        output: Output = "probabilities",
        shots: int | None | Literal["default"] = "default",
        seed: int | None = None,
    ) -> EndpointResponse:
        """Answer a batch of raw-feature queries."""
        if output not in OUTPUTS:
            raise ConfigError(f"unknown output {output!r}", hint=f"use one of {', '.join(OUTPUTS)}")
        shots = self.shots if shots == "default" else shots
        if shots is not None and shots < 1:
            raise ConfigError(f"shots must be >= 1 or None, got {shots}")
        X = self._check(X)
        self.queries += 1
        query_seed = derive_seed(self.seed, "query", self.queries) if seed is None else seed
        clf, model = self.classifier, self.classifier.model_
        stages: dict[str, float] = {}
        t = time.perf_counter()
        features = clf.preprocessing_.transform(X)
        stages["preprocess"] = time.perf_counter() - t
        t = time.perf_counter()
        with torch.no_grad():
            x = model.spec.feature_map(torch.as_tensor(features, dtype=torch.float64))
            angles = model.compiled.angles(x, model.theta)
        stages["encode"] = time.perf_counter() - t
        t = time.perf_counter()
        n_bases = model.compiled.measurement.n_circuits if shots is not None else 1
        if self._executor is not None:
            self._executor.shots = shots
            self._executor.seed = query_seed
            exp = self._executor(angles)
            result = self._executor.last  # transpilation happens (cached) inside the job
            circuits = result.circuits if result is not None else len(X) * n_bases
        else:
            with torch.no_grad():
                if shots is None:
                    exp = model.compiled.expectations_from_angles(angles)
                else:
                    gen = torch_generator(query_seed, "shots")
                    exp = model.compiled.sample_expectations_from_angles(angles, shots, gen)
            circuits = len(X) * n_bases
        stages["execute"] = time.perf_counter() - t
        t = time.perf_counter()
        values = self._postprocess(exp, output)
        stages["postprocess"] = time.perf_counter() - t
        self._record(len(X), output)
        spent = 0 if shots is None else int(shots) * circuits
        return EndpointResponse(
            values=values, shots=spent, circuits=int(circuits), stage_seconds=stages
        )

    def _postprocess(self, exp: torch.Tensor, output: str) -> np.ndarray:
        if output == "expectations":
            return exp.numpy()
        with torch.no_grad():
            logits = self.classifier.model_.head(exp.to(torch.float64))
        if output == "labels":
            return logits.argmax(1).numpy()
        return torch.softmax(logits, dim=1).numpy()

    def _check(self, X: np.ndarray) -> np.ndarray:
        X = np.array(X, dtype=np.float64)
        if X.ndim == 1:
            X = X[None, :]
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise DataError(
                f"queries must have shape (n, {self.n_features}), got {X.shape}",
                hint="send raw features in the training column order",
            )
        if not np.isfinite(X).all():
            raise DataError("queries contain NaN or infinite values")
        return X

    def _record(self, n: int, output: str) -> None:
        if self.ledger is None:
            return
        self.ledger.record("inference", "raw_data", "plaintext", "api_client", "classical_cloud",
                           self._trust(), count=n)  # fmt: skip
        self.ledger.record("inference", "predictions", output, "classical_cloud", "api_client",
                           "trusted", count=n)  # fmt: skip

    def _trust(self) -> str:
        return self.classical.trust.value if self.classical is not None else "trusted"


def load_endpoint(
    model_dir: str | Path,
    *,
    backend: str = "ideal",
    shots: int | None = None,
    seed: int = 0,
    model_id: str | None = None,
    quantum: QuantumCloud | None = None,
) -> InferenceEndpoint:
    """An endpoint serving the verified model artifact at ``model_dir``."""
    clf = load_classifier(model_dir)
    return InferenceEndpoint(
        clf,
        model_id=model_id or Path(model_dir).name,
        device=backend,
        shots=shots,
        quantum=quantum,
        seed=seed,
    )


def describe(endpoint: Any) -> dict[str, Any]:
    """JSON-ready endpoint metadata (never weights)."""
    clf = endpoint.classifier
    return {
        "model_id": endpoint.model_id,
        "device": endpoint.device,
        "shots": endpoint.shots,
        "n_features": endpoint.n_features,
        "n_classes": endpoint.n_classes,
        "classes": np.asarray(clf.classes_).tolist(),
        "spec": clf.spec().model_dump(mode="json"),
    }
