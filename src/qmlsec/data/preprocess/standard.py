"""Standardisation: zero mean and unit variance per feature.

Example:
    >>> import numpy as np
    >>> from qmlsec.data.preprocess.standard import StandardScaler
    >>> StandardScaler().fit(np.array([[1.0], [3.0]])).transform(np.array([[1.0], [3.0]])).ravel().tolist()
    [-1.0, 1.0]
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
import torch

from qmlsec.data.preprocess.step import Step, as_tensor, fit_input


class StandardScaler(Step):
    """``(X - mean_) / scale_`` with the training mean and (population) standard deviation.

    A constant training feature gets ``scale_ = 1`` (it is only centred).

    Example:
        >>> import numpy as np
        >>> s = StandardScaler().fit(np.array([[0.0, 5.0], [2.0, 5.0]]))
        >>> s.scale_.tolist()
        [1.0, 1.0]
    """

    kind = "standard"

    def __init__(self) -> None:
        pass

    def fit(self, X: np.ndarray, *, seed: int = 0) -> Self:
        """Learn per-feature mean and standard deviation from training features."""
        X = fit_input(self.kind, X)
        self.mean_ = X.mean(axis=0)
        std = X.std(axis=0)
        self.scale_ = np.where(std > 0, std, 1.0)
        self.n_features_in_ = X.shape[1]
        return self

    @property
    def n_features_out(self) -> int:
        """Same as the input."""
        return self._check_fitted()

    def _transform(self, X: np.ndarray) -> np.ndarray:
        return (X - self.mean_) / self.scale_

    def _torch_transform(self, x: torch.Tensor) -> torch.Tensor:
        return (x - as_tensor(self.mean_)) / as_tensor(self.scale_)

    def get_config(self) -> dict[str, Any]:
        """``n_features_in`` only (no parameters)."""
        return {"n_features_in": self._check_fitted()}

    def get_arrays(self) -> dict[str, np.ndarray]:
        """``mean`` and ``scale``."""
        self._check_fitted()
        return {"mean": self.mean_.copy(), "scale": self.scale_.copy()}

    def _set_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        d = self._check_fitted()
        self.mean_ = self._array(arrays, "mean", (d,))
        self.scale_ = self._array(arrays, "scale", (d,))
