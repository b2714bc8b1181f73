"""Build a :class:`PreprocessingPipeline` from a config or keyword options.

Example:
    >>> import numpy as np
    >>> from qmlsec.data.preprocess.factory import make_pipeline
    >>> pipe = make_pipeline(reduction="pca", n_components=2, scaling="minmax")
    >>> [s.kind for s in pipe.steps]
    ['pca', 'minmax']
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from qmlsec.data.preprocess.autoencoder import ConvAutoencoder
from qmlsec.data.preprocess.config import PreprocessingConfig
from qmlsec.data.preprocess.maxabs import MaxAbsScaler
from qmlsec.data.preprocess.minmax import MinMaxScaler
from qmlsec.data.preprocess.pca import PCA
from qmlsec.data.preprocess.pipeline import PreprocessingPipeline
from qmlsec.data.preprocess.standard import StandardScaler
from qmlsec.data.preprocess.step import Step
from qmlsec.exceptions import ConfigError


def make_config(**options: Any) -> PreprocessingConfig:
    """Validate keyword options into a :class:`PreprocessingConfig`.

    Raises:
        ConfigError: With pydantic's reasons joined into one message.

    Example:
        >>> make_config(scaling="standard").scaling
        'standard'
    """
    try:
        return PreprocessingConfig(**options)
    except ValidationError as exc:
        reasons = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'config'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(
            f"invalid pre-processing config: {reasons}",
            hint="reduction in pca|autoencoder|none, scaling in minmax|maxabs|standard|none, n_components >= 1",
        ) from None


def make_pipeline(
    config: PreprocessingConfig | None = None, **options: Any
) -> PreprocessingPipeline:
    """An unfitted pipeline: optional reduction, then optional scaling.

    ``n_components`` larger than the data's feature count is reported by ``fit``
    (as :class:`~qmlsec.exceptions.ConfigError`), when the data is known.

    Args:
        config: A ready config; or pass its fields as keywords (not both).
        **options: Fields of :class:`PreprocessingConfig`.

    Raises:
        ConfigError: For invalid options, or both ``config`` and options.

    Example:
        >>> import numpy as np
        >>> X = np.random.default_rng(0).normal(size=(20, 5))
        >>> make_pipeline(n_components=3, scaling="maxabs").fit(X).transform(X).shape
        (20, 3)
    """
    if config is not None and options:
        raise ConfigError(
            "pass either a PreprocessingConfig or keyword options, not both",
            hint="merge them with config.model_copy(update=...)",
        )
    cfg = config if config is not None else make_config(**options)
    steps: list[Step] = []
    if cfg.reduction == "pca":
        steps.append(PCA(cfg.n_components))
    elif cfg.reduction == "autoencoder":
        steps.append(
            ConvAutoencoder(
                cfg.n_components, image_shape=cfg.image_shape, epochs=cfg.autoencoder_epochs
            )
        )
    feature_range = cfg.resolved_range()
    if cfg.scaling == "minmax" and feature_range is not None:
        steps.append(MinMaxScaler(feature_range=feature_range, clip=cfg.clip))
    elif cfg.scaling == "maxabs" and feature_range is not None:
        steps.append(MaxAbsScaler(max_value=feature_range[1], clip=cfg.clip))
    elif cfg.scaling == "standard":
        steps.append(StandardScaler())
    return PreprocessingPipeline(steps)
