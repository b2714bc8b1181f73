"""Max-abs scaling: divide each feature by its largest training magnitude.

Example:
    >>> import numpy as np
    >>> from qmlsec.data.preprocess.maxabs import MaxAbsScaler
    >>> s = MaxAbsScaler().fit(np.array([[-2.0], [1.0]]))
    >>> s.transform(np.array([[1.0], [-4.0]])).ravel().tolist()
    [0.5, -2.0]
"""

from __future__ import annotations

import math
from typing import Any, Self

import numpy as np
import torch

from qmlsec.data.preprocess.step import Step, as_tensor, fit_input
from qmlsec.exceptions import ConfigError


class MaxAbsScaler(Step):
    """Scale each feature so its training values lie in ``[-max_value, max_value]``.

    Zero stays zero (sparsity and sign are kept). Values beyond the training magnitude
    are not clipped unless ``clip=True``. An all-zero feature is left at zero.

    Args:
        max_value: Output bound (> 0); 1 by default, ``pi`` for angle encodings.
        clip: Clip outputs into ``[-max_value, max_value]``.

    Example:
        >>> import numpy as np
        >>> MaxAbsScaler(max_value=np.pi).fit(np.array([[1.0]])).transform(np.array([[1.0]])).item() == np.pi
        True
    """

    kind = "maxabs"

    def __init__(self, max_value: float = 1.0, clip: bool = False) -> None:
        max_value = float(max_value)
        if not (math.isfinite(max_value) and max_value > 0):
            raise ConfigError(
                f"max_value must be a finite number > 0, got {max_value}", hint="use 1 or pi"
            )
        self.max_value = max_value
        self.clip = bool(clip)

    def fit(self, X: np.ndarray, *, seed: int = 0) -> Self:
        """Learn per-feature maximum magnitudes from training features."""
        X = fit_input(self.kind, X)
        self.max_abs_ = np.abs(X).max(axis=0)
        self.n_features_in_ = X.shape[1]
        self._derive()
        return self

    def _derive(self) -> None:
        self.scale_ = self.max_value / np.where(self.max_abs_ > 0, self.max_abs_, 1.0)

    @property
    def n_features_out(self) -> int:
        """Same as the input."""
        return self._check_fitted()

    def _transform(self, X: np.ndarray) -> np.ndarray:
        out = X * self.scale_
        return np.clip(out, -self.max_value, self.max_value) if self.clip else out

    def _torch_transform(self, x: torch.Tensor) -> torch.Tensor:
        out = x * as_tensor(self.scale_)
        return out.clamp(-self.max_value, self.max_value) if self.clip else out

    def get_config(self) -> dict[str, Any]:
        """``max_value``, ``clip``, ``n_features_in``."""
        return {
            "max_value": self.max_value,
            "clip": self.clip,
            "n_features_in": self._check_fitted(),
        }

    def get_arrays(self) -> dict[str, np.ndarray]:
        """``max_abs``."""
        self._check_fitted()
        return {"max_abs": self.max_abs_.copy()}

    def _set_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        self.max_abs_ = self._array(arrays, "max_abs", (self._check_fitted(),))
        self._derive()
