"""An ordered chain of fitted pre-processing steps, saved as config + arrays.

Example:
    >>> import numpy as np
    >>> from qmlsec.data.preprocess.pca import PCA
    >>> from qmlsec.data.preprocess.minmax import MinMaxScaler
    >>> from qmlsec.data.preprocess.pipeline import PreprocessingPipeline
    >>> X = np.random.default_rng(0).normal(size=(30, 6))
    >>> pipe = PreprocessingPipeline([PCA(3), MinMaxScaler()]).fit(X)
    >>> Z = pipe.transform(X)
    >>> Z.shape, bool(Z.min() >= 0 and Z.max() <= np.pi)
    ((30, 3), True)
    >>> config, arrays = pipe.to_state()
    >>> clone = PreprocessingPipeline.from_state(config, arrays)
    >>> bool((clone.transform(X) == Z).all())
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self

import numpy as np
import torch

from qmlsec.config import derive_seed
from qmlsec.data.preprocess.autoencoder import ConvAutoencoder
from qmlsec.data.preprocess.maxabs import MaxAbsScaler
from qmlsec.data.preprocess.minmax import MinMaxScaler
from qmlsec.data.preprocess.pca import PCA
from qmlsec.data.preprocess.standard import StandardScaler
from qmlsec.data.preprocess.step import Step
from qmlsec.exceptions import ConfigError, DataError

#: Step classes by their saved ``kind``.
STEP_TYPES: dict[str, type[Step]] = {
    cls.kind: cls for cls in (PCA, ConvAutoencoder, MinMaxScaler, MaxAbsScaler, StandardScaler)
}
#: Version of the ``to_state`` layout.
STATE_VERSION = 1


class PreprocessingPipeline:
    """Steps applied in order: raw features -> ... -> encoder-ready features.

    ``fit`` fits each step on the output of the previous ones (training data only);
    step ``i`` gets seed ``derive_seed(seed, "preprocess", i)``.

    Args:
        steps: The steps, unfitted (or fitted, when rebuilt by :meth:`from_state`).

    Example:
        >>> import numpy as np
        >>> from qmlsec.data.preprocess.standard import StandardScaler
        >>> pipe = PreprocessingPipeline([StandardScaler()]).fit(np.array([[0.0], [2.0]]))
        >>> pipe.n_features_in, pipe.n_features_out
        (1, 1)
    """

    def __init__(self, steps: Sequence[Step]) -> None:
        for step in steps:
            if not isinstance(step, Step):
                raise ConfigError(
                    f"pipeline step {step!r} is not a pre-processing Step",
                    hint="use the classes in qmlsec.data.preprocess",
                )
        self.steps = list(steps)
        self.n_features_in_: int | None = None

    def fit(self, X: np.ndarray, *, seed: int = 0) -> Self:
        """Fit every step on the training features ``X`` (n, d); return self."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2:
            raise DataError(
                f"pipeline fit needs a 2-D array, got shape {X.shape}", hint="pass X_train"
            )
        out = X
        for i, step in enumerate(self.steps):
            out = step.fit(out, seed=derive_seed(seed, "preprocess", i)).transform(out)
        self.n_features_in_ = X.shape[1]
        return self

    def _check_fitted(self) -> int:
        if self.n_features_in_ is None:
            raise ConfigError(
                "pre-processing pipeline is not fitted", hint="call fit(X_train) first"
            )
        return self.n_features_in_

    @property
    def n_features_in(self) -> int:
        """Number of raw input features."""
        return self._check_fitted()

    @property
    def n_features_out(self) -> int:
        """Number of output features (what the encoder receives)."""
        d = self._check_fitted()
        return self.steps[-1].n_features_out if self.steps else d

    def _check_shape(self, shape: tuple[int, ...]) -> None:
        d = self._check_fitted()
        if len(shape) != 2 or shape[1] != d:
            raise DataError(
                f"pre-processing expects raw features of shape (n, {d}), got {tuple(shape)}",
                hint="pass samples with the same columns as the training data",
            )

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Map raw features ``X`` (n, d_in) to (n, d_out) float64."""
        X = np.asarray(X, dtype=np.float64)
        self._check_shape(X.shape)
        for step in self.steps:
            X = step.transform(X)
        return X

    def torch_transform(self, x: torch.Tensor) -> torch.Tensor:
        """Differentiable float64 twin of :meth:`transform` (agrees to 1e-12)."""
        self._check_shape(tuple(x.shape))
        x = x.to(torch.float64)
        for step in self.steps:
            x = step.torch_transform(x)
        return x

    def to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """Lossless state: a JSON-able config and float64 arrays named ``step<i>.<name>``."""
        d = self._check_fitted()
        config: dict[str, Any] = {"version": STATE_VERSION, "n_features_in": d, "steps": []}
        arrays: dict[str, np.ndarray] = {}
        for i, step in enumerate(self.steps):
            config["steps"].append({"kind": step.kind, "config": step.get_config()})
            for name, value in step.get_arrays().items():
                arrays[f"step{i}.{name}"] = np.asarray(value, dtype=np.float64)
        return config, arrays

    @classmethod
    def from_state(
        cls, config: dict[str, Any], arrays: dict[str, np.ndarray]
    ) -> PreprocessingPipeline:
        """Rebuild a fitted pipeline from :meth:`to_state` output.

        Raises:
            ConfigError: Unknown version or step kind, missing or inconsistent arrays.
        """
        hint = "the saved pre-processing state is damaged; re-save the model"
        if not isinstance(config, dict) or config.get("version") != STATE_VERSION:
            raise ConfigError(
                f"unsupported pre-processing state version {config.get('version') if isinstance(config, dict) else config!r}",
                hint=hint,
            )
        steps: list[Step] = []
        for i, entry in enumerate(config.get("steps", [])):
            kind = entry.get("kind") if isinstance(entry, dict) else None
            if kind not in STEP_TYPES:
                raise ConfigError(
                    f"unknown pre-processing step kind {kind!r}",
                    hint=f"known kinds: {sorted(STEP_TYPES)}",
                )
            prefix = f"step{i}."
            own = {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}
            try:
                steps.append(STEP_TYPES[kind].from_state(dict(entry["config"]), own))
            except (TypeError, ValueError, RuntimeError, KeyError) as exc:
                raise ConfigError(
                    f"cannot rebuild pre-processing step {i} ({kind}): {exc}", hint=hint
                ) from None
        pipe = cls(steps)
        pipe.n_features_in_ = int(config["n_features_in"])
        try:
            out = pipe.transform(np.zeros((1, pipe.n_features_in_)))
        except (ValueError, RuntimeError, DataError) as exc:
            raise ConfigError(f"inconsistent pre-processing state: {exc}", hint=hint) from None
        if out.shape != (1, pipe.n_features_out):
            raise ConfigError(
                f"inconsistent pre-processing state: output shape {out.shape}", hint=hint
            )
        return pipe
