"""Principal component analysis with a differentiable torch transform.

Example:
    >>> import numpy as np, torch
    >>> from qmlsec.data.preprocess.pca import PCA
    >>> X = np.random.default_rng(0).normal(size=(50, 5))
    >>> pca = PCA(n_components=2).fit(X)
    >>> pca.transform(X).shape
    (50, 2)
    >>> x = torch.tensor(X, requires_grad=True)
    >>> bool(np.allclose(pca.torch_transform(x).detach().numpy(), pca.transform(X), atol=1e-12))
    True
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
import torch

from qmlsec.data.preprocess.step import Step, as_tensor, fit_input
from qmlsec.exceptions import ConfigError


class PCA(Step):
    """Project centred features onto the top ``n_components`` principal axes.

    Fitted by an SVD of the centred training data with a deterministic sign convention
    (the largest-magnitude loading of every component is positive), so equal data give
    equal components. ``transform(X) = (X - mean_) @ components_.T``.

    Args:
        n_components: Output dimension, ``1 <= n_components <= min(n_samples, n_features)``.

    Attributes:
        mean_: Training mean, shape ``(d,)``.
        components_: Principal axes as rows, shape ``(n_components, d)``.
        explained_variance_: Variance along each axis, shape ``(n_components,)``.

    Example:
        >>> import numpy as np
        >>> X = np.array([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
        >>> PCA(1).fit(X).transform(X).ravel().round(4).tolist()
        [-1.4142, 0.0, 1.4142]
    """

    kind = "pca"

    def __init__(self, n_components: int = 8) -> None:
        if isinstance(n_components, bool) or not isinstance(n_components, int) or n_components < 1:
            raise ConfigError(
                f"PCA n_components must be an integer >= 1, got {n_components!r}", hint="use e.g. 8"
            )
        self.n_components = n_components

    def fit(self, X: np.ndarray, *, seed: int = 0) -> Self:
        """Fit the axes on training features ``X`` (``seed`` is unused: PCA is exact)."""
        X = fit_input(self.kind, X)
        n, d = X.shape
        if self.n_components > min(n, d):
            raise ConfigError(
                f"PCA n_components={self.n_components} exceeds min(n_samples={n}, n_features={d})",
                hint=f"use n_components <= {min(n, d)}",
            )
        mean = X.mean(axis=0)
        _, s, vt = np.linalg.svd(X - mean, full_matrices=False)
        comps = vt[: self.n_components]
        signs = np.sign(comps[np.arange(comps.shape[0]), np.argmax(np.abs(comps), axis=1)])
        signs[signs == 0] = 1.0
        self.mean_ = mean
        self.components_ = np.ascontiguousarray(comps * signs[:, None])
        self.explained_variance_ = (s[: self.n_components] ** 2) / max(n - 1, 1)
        self.n_features_in_ = d
        return self

    @property
    def n_features_out(self) -> int:
        """``n_components``."""
        return self.n_components

    def _transform(self, X: np.ndarray) -> np.ndarray:
        return (X - self.mean_) @ self.components_.T

    def _torch_transform(self, x: torch.Tensor) -> torch.Tensor:
        return (x - as_tensor(self.mean_)) @ as_tensor(self.components_).T

    def inverse_transform(self, Z: np.ndarray) -> np.ndarray:
        """Map reduced features back to the input space (the best rank-k reconstruction)."""
        self._check_fitted()
        return np.asarray(Z, dtype=np.float64) @ self.components_ + self.mean_

    def get_config(self) -> dict[str, Any]:
        """``{"n_components", "n_features_in"}``."""
        return {"n_components": self.n_components, "n_features_in": self._check_fitted()}

    def get_arrays(self) -> dict[str, np.ndarray]:
        """``mean``, ``components``, ``explained_variance``."""
        self._check_fitted()
        return {
            "mean": self.mean_.copy(),
            "components": self.components_.copy(),
            "explained_variance": self.explained_variance_.copy(),
        }

    def _set_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        d, k = self._check_fitted(), self.n_components
        self.mean_ = self._array(arrays, "mean", (d,))
        self.components_ = self._array(arrays, "components", (k, d))
        self.explained_variance_ = self._array(arrays, "explained_variance", (k,))
