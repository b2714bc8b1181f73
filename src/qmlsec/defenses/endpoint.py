"""An inference endpoint behind the defender's output hardening and query monitor.

:class:`DefendedEndpoint` follows the :class:`~qmlsec.cloud.endpoint.Endpoint` contract
(``query(X, output=, shots=, seed=)`` returning an
:class:`~qmlsec.cloud.endpoint.EndpointResponse`). Each batch is first shown to the
monitor (a :class:`~qmlsec.cloud.endpoint.QueryMonitor`, e.g. a detector); the inner
endpoint is asked for probabilities, the post-processor hardens them, and the requested
output is derived from the hardened probabilities (labels = their argmax).

Once the monitor has raised an alert for the key, the endpoint either refuses
(``on_alert="block"``: :class:`~qmlsec.exceptions.DetectionError`) or keeps answering
with seeded uniformly random probabilities (``on_alert="deceive"``), so an attacker
does not learn when it was caught and its later queries teach it nothing.

Example:
    >>> import numpy as np
    >>> from types import SimpleNamespace
    >>> class Inner:
    ...     n_features, n_classes, model_id = 2, 2, "m"
    ...     def query(self, X, *, output="probabilities", shots=None, seed=None):
    ...         return SimpleNamespace(values=np.tile([0.3, 0.7], (len(X), 1)), shots=0,
    ...                                circuits=len(X), stage_seconds={})
    >>> ep = DefendedEndpoint(Inner(), postprocess=lambda p: np.round(p))
    >>> ep.query(np.zeros((2, 2))).values.tolist()
    [[0.0, 1.0], [0.0, 1.0]]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import numpy as np

from qmlsec.cloud.endpoint import Alert, Endpoint, EndpointResponse, Output, QueryMonitor
from qmlsec.config import rng
from qmlsec.exceptions import ConfigError, DetectionError


class DefendedEndpoint:
    """Wrap ``inner`` with a post-processor and/or a query monitor.

    Args:
        inner: the served model.
        postprocess: ``probs (n, C) -> probs (n, C)`` applied to every answer.
        monitor: sees every batch before it is answered.
        key_id: the client key the queries are attributed to.
        on_alert: ``"block"`` or ``"deceive"`` once an alert was raised.
        seed: stream of the deceptive answers.
    """

    def __init__(
        self,
        inner: Endpoint,
        *,
        postprocess: Callable[[np.ndarray], np.ndarray] | None = None,
        monitor: QueryMonitor | None = None,
        key_id: str = "client",
        on_alert: Literal["block", "deceive"] = "deceive",
        seed: int = 0,
    ) -> None:
        self.inner = inner
        self.postprocess = postprocess
        self.monitor = monitor
        self.key_id = key_id
        self.on_alert = on_alert
        self.seed = seed
        self.alerts: list[Alert] = []
        self.samples_seen = 0
        self.samples_at_alert: int | None = None
        self._deceived = 0

    @property
    def model_id(self) -> str:
        return str(getattr(self.inner, "model_id", "model"))

    @property
    def n_features(self) -> int:
        return int(self.inner.n_features)

    @property
    def n_classes(self) -> int:
        return int(self.inner.n_classes)

    @property
    def classes(self) -> np.ndarray:
        return np.asarray(getattr(self.inner, "classes", np.arange(self.n_classes)))

    @property
    def feature_range(self) -> Any:
        return getattr(self.inner, "feature_range", None)

    def _observe(self, X: np.ndarray) -> None:
        if self.monitor is None:
            return
        alert = self.monitor.observe(self.key_id, self.model_id, X)
        self.samples_seen += len(X)
        if alert is not None:
            self.alerts.append(alert)
            if self.samples_at_alert is None:
                self.samples_at_alert = self.samples_seen

    def query(
        self,
        X: np.ndarray,
        *,
        output: str = "probabilities",
        shots: int | None = None,
        seed: int | None = None,
    ) -> EndpointResponse:
        """Answer ``X`` through the monitor and the post-processor."""
        X = np.asarray(X, dtype=np.float64)
        self._observe(X)
        if output == "expectations" and self.postprocess is not None:
            raise ConfigError("a hardened endpoint does not return raw expectations",
                              hint="ask for labels or probabilities")  # fmt: skip
        if self.alerts and self.on_alert == "block":
            raise DetectionError(
                f"queries of key {self.key_id!r} raised an extraction alarm",
                hint="the key is blocked; contact the model owner",
            )
        inner_output: Output = "expectations" if output == "expectations" else "probabilities"
        response = self.inner.query(X, output=inner_output, shots=shots, seed=seed)
        values = np.asarray(response.values, dtype=np.float64)
        if self.alerts:
            gen = rng(self.seed, "deceive", self._deceived)
            self._deceived += 1
            values = gen.dirichlet(np.ones(values.shape[1]), size=len(values))
        elif self.postprocess is not None:
            values = np.asarray(self.postprocess(values), dtype=np.float64)
        if output == "labels":
            values = self.classes[values.argmax(axis=1)]
        return EndpointResponse(values=values, shots=int(response.shots),
                                circuits=int(response.circuits),
                                stage_seconds=dict(getattr(response, "stage_seconds", {})))  # fmt: skip
