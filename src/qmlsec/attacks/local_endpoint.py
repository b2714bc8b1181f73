"""An in-process inference endpoint over a fitted model, with finite-shot noise.

It follows the :class:`~qmlsec.cloud.endpoint.Endpoint` contract (``query(X, output=,
shots=, seed=)`` returning an :class:`~qmlsec.cloud.endpoint.EndpointResponse`), so every
black-box attack runs against it exactly as against the cloud endpoint. Use it where no
deployment is simulated: the attacker's own copy of a victim, tests, quick CLI runs.

Shot noise: with ``shots=s`` the returned class probabilities are the frequencies of
``s`` draws from the model's exact probabilities (multinomial), and each ⟨Z⟩
expectation is the mean of ``s`` ±1 outcomes. Labels are the argmax of the (noisy)
probabilities.

Example:
    >>> import numpy as np
    >>> class Fixed:
    ...     classes_ = np.array([0, 1])
    ...     class preprocessing_:
    ...         n_features_in = 2
    ...     def predict_proba(self, X):
    ...         return np.tile([0.25, 0.75], (len(X), 1))
    >>> ep = LocalEndpoint(Fixed(), seed=0)
    >>> r = ep.query(np.zeros((3, 2)), shots=100, seed=1)
    >>> r.values.shape, r.shots, r.circuits
    ((3, 2), 300, 3)
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from qmlsec.cloud.endpoint import OUTPUTS, EndpointResponse
from qmlsec.config import rng
from qmlsec.exceptions import ConfigError


class LocalEndpoint:
    """Serve a fitted ``QNNClassifier`` in process.

    Args:
        model: fitted classifier (``predict_proba``, ``classes_``; ``expectations`` for
            ``output="expectations"``).
        model_id: identifier reported to callers.
        feature_range: raw-feature bounds seen in training, if known.
        seed: shot-noise stream for queries sent without a seed.
    """

    def __init__(
        self,
        model: Any,
        *,
        model_id: str = "local",
        feature_range: tuple[float, float] | None = None,
        seed: int = 0,
    ) -> None:
        self.model = model
        self.model_id = model_id
        self.feature_range = feature_range
        self.seed = seed
        self._unseeded = 0

    @property
    def n_features(self) -> int:
        return int(self.model.preprocessing_.n_features_in)

    @property
    def n_classes(self) -> int:
        return len(self.model.classes_)

    @property
    def classes(self) -> np.ndarray:
        return np.asarray(self.model.classes_)

    def query(
        self,
        X: np.ndarray,
        *,
        output: str = "probabilities",
        shots: int | None = None,
        seed: int | None = None,
    ) -> EndpointResponse:
        """Answer ``X`` with ``output`` (labels, probabilities or expectations)."""
        if output not in OUTPUTS:
            raise ConfigError(
                f"unknown output {output!r}", hint="use labels, probabilities or expectations"
            )
        if shots is not None and shots < 1:
            raise ConfigError(f"shots must be >= 1 or None, got {shots}")
        if seed is None:
            seed, self._unseeded = self._unseeded, self._unseeded + 1
            gen = rng(self.seed, "endpoint", "unseeded", seed)
        else:
            gen = rng(seed, "endpoint", "shots")
        start = time.perf_counter()
        X = np.asarray(X, dtype=np.float64)
        if output == "expectations":
            values = np.asarray(self.model.expectations(X), dtype=np.float64)
            if shots is not None:
                p_plus = np.clip((1.0 + values) / 2.0, 0.0, 1.0)
                values = 2.0 * gen.binomial(shots, p_plus) / shots - 1.0
        else:
            values = np.asarray(self.model.predict_proba(X), dtype=np.float64)
            if shots is not None:
                probs = np.clip(values, 0.0, None)
                probs /= probs.sum(axis=1, keepdims=True)
                values = gen.multinomial(shots, probs) / shots
            if output == "labels":
                values = self.classes[values.argmax(axis=1)]
        seconds = time.perf_counter() - start
        return EndpointResponse(
            values=values,
            shots=0 if shots is None else int(shots) * len(X),
            circuits=len(X),
            stage_seconds={"execute": seconds},
        )
