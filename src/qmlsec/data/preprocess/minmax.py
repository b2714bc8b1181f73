"""Min-max scaling of every feature into a range, by default ``[0, pi]``.

Example:
    >>> import numpy as np
    >>> from qmlsec.data.preprocess.minmax import MinMaxScaler
    >>> s = MinMaxScaler(feature_range=(0.0, 1.0)).fit(np.array([[0.0], [4.0]]))
    >>> s.transform(np.array([[2.0], [8.0]])).ravel().tolist()
    [0.5, 2.0]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Self

import numpy as np
import torch

from qmlsec.data.preprocess.step import Step, as_tensor, fit_input
from qmlsec.exceptions import ConfigError


class MinMaxScaler(Step):
    """Affine map of each feature's training ``[min, max]`` onto ``feature_range``.

    Values outside the training range map outside ``feature_range`` (no clipping)
    unless ``clip=True``. A constant training feature maps to the lower bound.

    Args:
        feature_range: ``(low, high)`` with ``low < high``; default ``(0, pi)``, the
            natural range of rotation-angle encodings.
        clip: Clip outputs into ``feature_range``.

    Example:
        >>> import numpy as np
        >>> s = MinMaxScaler(clip=True).fit(np.array([[0.0], [1.0]]))
        >>> s.transform(np.array([[2.0]])).item() == np.pi
        True
    """

    kind = "minmax"

    def __init__(self, feature_range: Sequence[float] = (0.0, math.pi), clip: bool = False) -> None:
        low, high = (float(v) for v in feature_range)
        if not (math.isfinite(low) and math.isfinite(high) and low < high):
            raise ConfigError(
                f"feature_range must be finite (low, high) with low < high, got {feature_range}",
                hint="use e.g. (0, pi)",
            )
        self.feature_range = (low, high)
        self.clip = bool(clip)

    def fit(self, X: np.ndarray, *, seed: int = 0) -> Self:
        """Learn per-feature min and max from training features."""
        X = fit_input(self.kind, X)
        self.data_min_ = X.min(axis=0)
        self.data_max_ = X.max(axis=0)
        self.n_features_in_ = X.shape[1]
        self._derive()
        return self

    def _derive(self) -> None:
        span = self.data_max_ - self.data_min_
        low, high = self.feature_range
        self.scale_ = (high - low) / np.where(span > 0, span, 1.0)
        self.offset_ = low - self.data_min_ * self.scale_

    @property
    def n_features_out(self) -> int:
        """Same as the input."""
        return self._check_fitted()

    def _transform(self, X: np.ndarray) -> np.ndarray:
        out = X * self.scale_ + self.offset_
        return np.clip(out, *self.feature_range) if self.clip else out

    def _torch_transform(self, x: torch.Tensor) -> torch.Tensor:
        out = x * as_tensor(self.scale_) + as_tensor(self.offset_)
        return out.clamp(*self.feature_range) if self.clip else out

    def get_config(self) -> dict[str, Any]:
        """``feature_range``, ``clip``, ``n_features_in``."""
        return {
            "feature_range": list(self.feature_range),
            "clip": self.clip,
            "n_features_in": self._check_fitted(),
        }

    def get_arrays(self) -> dict[str, np.ndarray]:
        """``data_min`` and ``data_max``."""
        self._check_fitted()
        return {"data_min": self.data_min_.copy(), "data_max": self.data_max_.copy()}

    def _set_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        d = self._check_fitted()
        self.data_min_ = self._array(arrays, "data_min", (d,))
        self.data_max_ = self._array(arrays, "data_max", (d,))
        self._derive()
