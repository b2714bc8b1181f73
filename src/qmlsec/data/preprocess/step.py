"""The contract of one fitted pre-processing step.

A step is fitted on training features only, then maps features to features twice over:
``transform`` on NumPy arrays and ``torch_transform`` as a differentiable float64 torch
function that agrees with it to 1e-12, so white-box attacks can differentiate through
the pre-processing. Its whole state is a JSON-able config plus plain arrays, so saving
it never needs pickle.

Example:
    >>> import numpy as np
    >>> from qmlsec.data.preprocess.standard import StandardScaler
    >>> step = StandardScaler().fit(np.array([[0.0], [2.0]]))
    >>> config, arrays = step.get_config(), step.get_arrays()
    >>> clone = StandardScaler.from_state(config, arrays)
    >>> clone.transform(np.array([[4.0]])).tolist()
    [[3.0]]
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar, Self

import numpy as np
import torch

from qmlsec.exceptions import ConfigError, DataError


class Step(ABC):
    """Base class of pre-processing steps.

    Subclasses set ``kind`` (the name in saved configs), store their parameters in
    ``__init__`` without doing work, learn state in :meth:`fit` (attributes ending in
    ``_``), and implement :meth:`_transform`, :meth:`_torch_transform`,
    :meth:`get_config`, :meth:`get_arrays` and :meth:`_set_arrays`.
    """

    kind: ClassVar[str]
    n_features_in_: int | None = None

    @abstractmethod
    def fit(self, X: np.ndarray, *, seed: int = 0) -> Self:
        """Learn the step's state from training features ``X`` (n, d); return self."""

    @property
    @abstractmethod
    def n_features_out(self) -> int:
        """Number of output features (only valid once fitted)."""

    @abstractmethod
    def _transform(self, X: np.ndarray) -> np.ndarray: ...

    @abstractmethod
    def _torch_transform(self, x: torch.Tensor) -> torch.Tensor: ...

    @abstractmethod
    def get_config(self) -> dict[str, Any]:
        """Constructor parameters plus fitted sizes, JSON-able."""

    @abstractmethod
    def get_arrays(self) -> dict[str, np.ndarray]:
        """Fitted state as plain float64 arrays."""

    @abstractmethod
    def _set_arrays(self, arrays: dict[str, np.ndarray]) -> None: ...

    @classmethod
    def from_state(cls, config: dict[str, Any], arrays: dict[str, np.ndarray]) -> Self:
        """Rebuild a fitted step from :meth:`get_config` and :meth:`get_arrays`."""
        params = {k: v for k, v in config.items() if k != "n_features_in"}
        step = cls(**params)
        step.n_features_in_ = int(config["n_features_in"])
        try:
            step._set_arrays({k: np.asarray(v) for k, v in arrays.items()})
        except KeyError as exc:
            raise ConfigError(
                f"saved {cls.kind} step is missing array {exc.args[0]!r}",
                hint="the pre-processing state is incomplete; re-save the model",
            ) from None
        return step

    def _array(
        self, arrays: dict[str, np.ndarray], name: str, shape: tuple[int, ...]
    ) -> np.ndarray:
        """Fetch saved array ``name`` as float64, requiring ``shape``."""
        value = np.asarray(arrays[name], dtype=np.float64)
        if value.shape != shape:
            raise ConfigError(
                f"saved {self.kind} array {name!r} has shape {value.shape}, expected {shape}",
                hint="the pre-processing state is damaged; re-save the model",
            )
        return value

    def _check_fitted(self) -> int:
        if self.n_features_in_ is None:
            raise ConfigError(f"{self.kind} step is not fitted", hint="call fit(X_train) first")
        return self.n_features_in_

    def _check_input(self, shape: tuple[int, ...]) -> None:
        d = self._check_fitted()
        if len(shape) != 2 or shape[1] != d:
            raise DataError(
                f"{self.kind} step expects input of shape (n, {d}), got {tuple(shape)}",
                hint="pass raw features with the columns the pipeline was fitted on",
            )

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Map features ``X`` (n, d_in) to (n, d_out) float64."""
        X = np.asarray(X, dtype=np.float64)
        self._check_input(X.shape)
        return self._transform(X)

    def torch_transform(self, x: torch.Tensor) -> torch.Tensor:
        """Differentiable float64 version of :meth:`transform`."""
        self._check_input(tuple(x.shape))
        return self._torch_transform(x.to(torch.float64))


def fit_input(kind: str, X: np.ndarray) -> np.ndarray:
    """Validate training features for ``fit``: finite, 2-D, non-empty; float64.

    Example:
        >>> fit_input("pca", [[1, 2]]).dtype
        dtype('float64')
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] < 1 or X.shape[1] < 1:
        raise DataError(
            f"{kind} step: fit needs a non-empty 2-D array, got shape {X.shape}",
            hint="pass X_train",
        )
    if not np.all(np.isfinite(X)):
        raise DataError(
            f"{kind} step: fit input contains NaN or inf", hint="clean the training features"
        )
    return X


def as_tensor(array: np.ndarray) -> torch.Tensor:
    """A float64 torch tensor sharing nothing with ``array``.

    Example:
        >>> as_tensor(np.ones(2)).dtype
        torch.float64
    """
    return torch.tensor(np.asarray(array, dtype=np.float64), dtype=torch.float64)
