"""The frozen, validated description of a pre-processing pipeline.

Example:
    >>> from qmlsec.data.preprocess.config import PreprocessingConfig
    >>> cfg = PreprocessingConfig(reduction="pca", n_components=4)
    >>> cfg.scaling, cfg.resolved_range()
    ('minmax', (0.0, 3.141592653589793))
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, model_validator

from qmlsec.config import FrozenModel


class PreprocessingConfig(FrozenModel):
    """What :func:`~qmlsec.data.preprocess.factory.make_pipeline` builds.

    Attributes:
        reduction: ``"pca"``, ``"autoencoder"`` or ``"none"`` (keep all features;
            ``n_components`` is then unused).
        n_components: Features after reduction (typically the number of qubits).
        scaling: ``"minmax"`` (into ``feature_range``, default ``(0, pi)``),
            ``"maxabs"`` (into ``[-a, a]``, ``feature_range=(-a, a)``, default
            ``(-1, 1)``), ``"standard"`` or ``"none"``.
        feature_range: Output range of the scaler; ``None`` for its default.
        clip: Clip scaled values into the range (minmax and maxabs only).
        image_shape: Autoencoder only: ``(height, width)``; inferred when square.
        autoencoder_epochs: Autoencoder only: training epochs.
    """

    reduction: Literal["pca", "autoencoder", "none"] = "pca"
    n_components: int = Field(default=8, ge=1)
    scaling: Literal["minmax", "maxabs", "standard", "none"] = "minmax"
    feature_range: tuple[float, float] | None = None
    clip: bool = False
    image_shape: tuple[int, int] | None = None
    autoencoder_epochs: int = Field(default=30, ge=1)

    @model_validator(mode="after")
    def _check(self) -> PreprocessingConfig:
        if self.feature_range is not None:
            low, high = self.feature_range
            if not (math.isfinite(low) and math.isfinite(high) and low < high):
                raise ValueError(
                    f"feature_range must be finite with low < high, got {self.feature_range}"
                )
            if self.scaling in ("standard", "none"):
                raise ValueError(f"feature_range does not apply to scaling={self.scaling!r}")
            if self.scaling == "maxabs" and not math.isclose(low, -high):
                raise ValueError(
                    f"maxabs scaling needs a symmetric feature_range (-a, a), got {self.feature_range}"
                )
        if self.clip and self.scaling in ("standard", "none"):
            raise ValueError(f"clip does not apply to scaling={self.scaling!r}")
        if self.image_shape is not None and self.reduction != "autoencoder":
            raise ValueError("image_shape applies to reduction='autoencoder' only")
        return self

    def resolved_range(self) -> tuple[float, float] | None:
        """The scaler's output range after defaults, ``None`` for standard/none."""
        if self.scaling == "minmax":
            return self.feature_range or (0.0, math.pi)
        if self.scaling == "maxabs":
            return self.feature_range or (-1.0, 1.0)
        return None
